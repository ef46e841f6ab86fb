import { z } from 'zod';

// Dune writes timestamps as `2024-01-15 13:45:12.000 UTC`; ISO forms and offsets are accepted too.
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(UTC|Z|[+-]\d{2}:?\d{2})?$/i;

/** A Dune timestamp (text, or epoch seconds) as a Date; undefined when it is not one. */
export function parseDuneTimestamp(value: unknown): Date | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000);
  if (typeof value !== 'string') return undefined;
  const match = TIMESTAMP.exec(value.trim());
  if (!match) return undefined;
  const zone = !match[3] || /^(utc|z)$/i.test(match[3]) ? 'Z' : match[3];
  // Milliseconds are all a Date holds: nanosecond fractions are cut, not rounded.
  const time = (match[2] ?? '00:00:00').replace(/(\.\d{3})\d+$/, '$1');
  const date = new Date(`${match[1]}T${time}${zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A whole or decimal number as exact text for a `numeric` column; JSON numbers beyond 2^53 are already rounded. */
export function numericText(value: unknown): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    return Number.isInteger(value) ? BigInt(value).toString() : String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value.trim())) return value.trim();
  return undefined;
}

/** Zod types for Dune's value encodings, shared by the CoW record and the any-query records. */
export const dune = {
  timestamp: z.unknown().transform((v, ctx) => {
    const date = parseDuneTimestamp(v);
    if (!date) ctx.addIssue({ code: 'custom', message: `expected a timestamp, received ${JSON.stringify(v)}` });
    return date as Date;
  }),
  date: z.unknown().transform((v, ctx) => {
    const date = parseDuneTimestamp(v);
    if (!date) ctx.addIssue({ code: 'custom', message: `expected a date, received ${JSON.stringify(v)}` });
    return date ? date.toISOString().slice(0, 10) : '';
  }),
  numeric: z.unknown().transform((v, ctx) => {
    const text = numericText(v);
    if (text === undefined)
      ctx.addIssue({ code: 'custom', message: `expected a number, received ${JSON.stringify(v)}` });
    return text as string;
  }),
  /** varbinary values arrive as `0x…` text; stored lower-case so keys compare. */
  hex: z
    .string()
    .regex(/^0x[0-9a-fA-F]*$/, 'expected 0x-prefixed hex')
    .transform((v) => v.toLowerCase()),
};

/** Makes a field optional and null-able, stored as SQL NULL. */
export function nullable<T extends z.ZodTypeAny>(schema: T) {
  return z.union([z.null(), z.undefined(), schema]).transform((v) => (v ?? null) as z.output<T> | null);
}
