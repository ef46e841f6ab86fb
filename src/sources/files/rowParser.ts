import { Problem } from './fieldParsers.ts';
import type { ColumnPlan } from './tableShape.ts';

/**
 * The parser of one file's records: a record → the row to load (the record's own array, its fields replaced by
 * their values), or the reason it cannot be, the record left untouched. An empty field is NULL (refused for key
 * and NOT NULL columns); every other field goes through its column's parser.
 */
export function rowParser(plan: ColumnPlan): (fields: string[]) => unknown[] | string {
  const n = plan.columns.length;
  // Values of the record in hand, kept between calls: nothing is allocated per row.
  const scratch = new Array<unknown>(n);
  return (fields) => {
    if (fields.length !== n) return `expected ${n} fields as in the header, got ${fields.length}`;
    for (let i = 0; i < n; i++) {
      const text = fields[i] as string;
      if (text === '') {
        if (plan.required[i]) return `${plan.columns[i]}: missing (the column is required)`;
        scratch[i] = null;
        continue;
      }
      const value = (plan.parsers[i] as (t: string) => unknown)(text);
      if (value instanceof Problem) return `${plan.columns[i]}: ${value.message}, got "${text.slice(0, 60)}"`;
      scratch[i] = value;
    }
    const row: unknown[] = fields;
    for (let i = 0; i < n; i++) row[i] = scratch[i];
    return row;
  };
}

/** A rejected record as stored in `etl.rejects.payload`: keyed by the header when the field count matches. */
export function recordPayload(plan: ColumnPlan, fields: readonly string[]): Record<string, unknown> {
  if (fields.length !== plan.columns.length) return { fields };
  return Object.fromEntries(plan.columns.map((c, i) => [c, fields[i]]));
}

/** Newlines inside quoted fields: each one moves the next record's line number on. */
export function embeddedNewlines(fields: readonly string[]): number {
  let n = 0;
  for (const field of fields) {
    for (let at = field.indexOf('\n'); at !== -1; at = field.indexOf('\n', at + 1)) n++;
  }
  return n;
}
