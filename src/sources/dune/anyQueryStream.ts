import { z } from 'zod';
import { defineStream } from '../stream.ts';
import type { PgType, PlannedColumn } from './columnTypes.ts';
import type { ResultPage } from './resultPages.ts';
import { rowKey } from './rowKey.ts';
import { numericText, parseDuneTimestamp } from './values.ts';

type Coerce = (value: unknown) => { ok: true; value: unknown } | { ok: false };

const ok = (value: unknown) => ({ ok: true as const, value });
const bad = { ok: false as const };

/** How a Dune value becomes a value of each PostgreSQL type (text takes anything). */
const COERCE: Record<PgType, Coerce> = {
  text: (v) => ok(typeof v === 'object' ? JSON.stringify(v) : String(v)),
  boolean: (v) => (typeof v === 'boolean' ? ok(v) : v === 'true' || v === 'false' ? ok(v === 'true') : bad),
  integer: (v) => (numericText(v)?.match(/^-?\d+$/) ? ok(numericText(v)) : bad),
  bigint: (v) => (numericText(v)?.match(/^-?\d+$/) ? ok(numericText(v)) : bad),
  numeric: (v) => (numericText(v) !== undefined ? ok(numericText(v)) : bad),
  'double precision': (v) =>
    typeof v === 'number' || numericText(v) !== undefined || ['NaN', 'Infinity', '-Infinity'].includes(String(v))
      ? ok(typeof v === 'number' ? v : String(v))
      : bad,
  date: (v) => {
    const date = parseDuneTimestamp(v);
    return date ? ok(date.toISOString().slice(0, 10)) : bad;
  },
  timestamptz: (v) => {
    const date = parseDuneTimestamp(v);
    return date ? ok(date) : bad;
  },
  // Always JSON text: a bare string would otherwise reach jsonb unquoted.
  jsonb: (v) => ok(JSON.stringify(v)),
};

/** Validates one result row against the table's columns and adds its content key. */
export function anyQueryRecord(columns: readonly PlannedColumn[]) {
  return z.record(z.string(), z.unknown()).transform((row, ctx) => {
    const out: Record<string, unknown> = { row_key: rowKey(row) };
    for (const column of columns) {
      const value = row[column.source];
      if (value === null || value === undefined) {
        out[column.name] = null;
        continue;
      }
      const coerced = COERCE[column.type](value);
      if (coerced.ok) out[column.name] = coerced.value;
      else
        ctx.addIssue({
          code: 'custom',
          path: [column.source],
          message: `expected ${column.type}, received ${JSON.stringify(value)}`,
        });
    }
    return out;
  });
}

export interface AnyQueryStreamOptions {
  /** Staging table (unqualified), created or widened beforehand by `ensureQueryTable`. */
  table: string;
  columns: readonly PlannedColumn[];
  /** The result's pages, the first one already read to plan the columns. */
  pages: AsyncIterable<ResultPage>;
}

/**
 * Any Dune query's result → its own staging table, keyed by a UUID of each row's canonical content (the seeds'
 * dedupe rule), so a rerun or an overlapping result adds no duplicate.
 */
export function anyQueryStream(options: AnyQueryStreamOptions) {
  return defineStream({
    name: `dune.query.${options.table}`,
    table: options.table,
    columns: ['row_key', ...options.columns.map((c) => c.name)],
    key: ['row_key'],
    onConflict: 'ignore',
    record: anyQueryRecord(options.columns),
    async *extract() {
      for await (const page of options.pages) {
        yield {
          records: page.rows,
          cursor: { executionId: page.executionId, rows: page.offset + page.rows.length },
          progress: { done: page.offset + page.rows.length, total: page.metadata.total_row_count },
        };
      }
    },
  });
}
