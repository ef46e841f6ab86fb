import { z } from 'zod';
import { EtlError } from '../../internal/errors.ts';

/** A block number, or a UTC date meaning the first block of that day. */
export type BlockRef = { block: number } | { date: string };

export interface EvmBlocksArgs {
  from?: BlockRef;
  to?: BlockRef;
  follow: boolean;
}

const blockRef = z.union([z.number().int().nonnegative(), z.string().trim()]).transform((v, ctx): BlockRef => {
  if (typeof v === 'number') return { block: v };
  if (/^\d+$/.test(v)) return { block: Number(v) };
  if (/^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`))) return { date: v };
  ctx.addIssue({ code: 'custom', message: `expected a block number or a date such as 2026-01-31 (got "${v}")` });
  return z.NEVER;
});

const argsSchema = z.object({
  from: blockRef.optional(),
  to: blockRef.optional(),
  follow: z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .optional()
    .transform((v) => v === true || v === 'true'),
});

/**
 * Reads the arguments of an EVM job (`--from`, `--to`, `--follow`; from the CLI they arrive as strings); messages
 * name `job`.
 * @throws EtlError `ETL_INPUT_INVALID` naming the argument and what was expected.
 */
export function parseEvmBlocksArgs(args: Record<string, unknown>, job = 'evm-blocks'): EvmBlocksArgs {
  const parsed = argsSchema.safeParse(args);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`);
    throw new EtlError('ETL_INPUT_INVALID', `Invalid arguments for ${job}:\n  ${lines.join('\n  ')}`);
  }
  const { from, to, follow } = parsed.data;
  if (to && !from) {
    throw new EtlError('ETL_INPUT_INVALID', `Invalid arguments for ${job}: --to needs --from (the first block)`);
  }
  if (from && to && 'block' in from && 'block' in to && from.block > to.block) {
    throw new EtlError(
      'ETL_INPUT_INVALID',
      `Invalid arguments for ${job}: --from ${from.block} is after --to ${to.block}: swap them`,
    );
  }
  return { from, to, follow };
}
