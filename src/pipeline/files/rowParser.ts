import { Problem } from './fieldParsers.ts';
import type { ColumnPlan } from './tableShape.ts';

/** A record → the row to load, or the reason it cannot be. */
export type RowParser = (fields: string[]) => unknown[] | string;

/**
 * The parser of one file's records: a record → the row to load (the record's own array, its fields replaced by
 * their values), or the reason it cannot be, the record left untouched. An empty field is NULL (refused for key
 * and NOT NULL columns); every other field goes through its column's parser.
 */
export function rowParser(plan: ColumnPlan): RowParser {
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
      if (value instanceof Problem) return `${plan.columns[i]}: ${value.message}, got "${storable(text.slice(0, 60))}"`;
      scratch[i] = value;
    }
    const row: unknown[] = fields;
    for (let i = 0; i < n; i++) row[i] = scratch[i];
    return row;
  };
}

/** What to do about bytes that are not UTF-8. */
export function notUtf8(byte: number): string {
  const hex = byte.toString(16).toUpperCase().padStart(2, '0');
  return `not UTF-8 (byte 0x${hex}): if the file is Latin-1, load it again with --encoding latin1 --force`;
}

/** The reason for a record holding bytes that are not UTF-8, naming the field they are in (decoded as U+FFFD). */
export function undecodedReason(plan: ColumnPlan, fields: readonly string[], byte: number): string {
  const at = fields.findIndex((f) => f.includes('\uFFFD'));
  const column = fields.length === plan.columns.length ? plan.columns[at] : undefined;
  return column ? `${column}: ${notUtf8(byte)}` : notUtf8(byte);
}

/** A rejected record as stored in `etl.rejects.payload`: keyed by the header when the field count matches. */
export function recordPayload(plan: ColumnPlan, fields: readonly string[]): Record<string, unknown> {
  const values = fields.map(storable);
  if (fields.length !== plan.columns.length) return { fields: values };
  return Object.fromEntries(plan.columns.map((c, i) => [c, values[i]]));
}

/** Text PostgreSQL can store (text and jsonb refuse NUL): each NUL written as the six characters `\u0000`. */
function storable(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\\u0000') : text;
}
