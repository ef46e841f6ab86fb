import type { z } from 'zod';

/** One line naming each failing field, e.g. `current_price: expected number, received string`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`).join('; ');
}
