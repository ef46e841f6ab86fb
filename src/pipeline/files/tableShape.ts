import type { Queryable, Schemas } from '../../db/types.ts';
import { EtlError } from '../../internal/errors.ts';
import { type FieldParser, parserFor } from './fieldParsers.ts';

/** A staging table as the backfill sees it: its columns with their parsers, and its primary key. */
export interface TableShape {
  /** Schema-qualified, e.g. `staging.coingecko_prices`. */
  table: string;
  columns: Map<string, { parse: FieldParser; required: boolean }>;
  key: string[];
}

/** How a CSV's columns map onto the table: the header's columns in file order. */
export interface ColumnPlan {
  columns: string[];
  parsers: FieldParser[];
  /** Per column, whether an empty field is refused. */
  required: boolean[];
}

type ColumnRow = {
  name: string;
  data_type: string;
  is_nullable: string;
  column_default: string | null;
  max_length: number | string | null;
  num_precision: number | string | null;
  num_scale: number | string | null;
};

const num = (v: number | string | null) => (v === null ? null : Number(v));

/**
 * Reads a staging table's columns and primary key from information_schema (the same query on PostgreSQL,
 * PGlite and MySQL).
 * @throws EtlError `ETL_INPUT_INVALID` when the table does not exist or has no primary key.
 */
export async function readTableShape(db: Queryable, schemas: Schemas, table: string): Promise<TableShape> {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) {
    throw new EtlError(
      'ETL_INPUT_INVALID',
      `"${table}" is not a table name: use a staging table such as coingecko_prices`,
    );
  }
  const rows = await db.query<ColumnRow>(
    `SELECT column_name AS name, data_type, is_nullable, column_default, character_maximum_length AS max_length,
       numeric_precision AS num_precision, numeric_scale AS num_scale
     FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schemas.staging, table],
  );
  if (rows.length === 0) {
    const known = await db.query<{ name: string }>(
      'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schemas.staging],
    );
    throw new EtlError(
      'ETL_INPUT_INVALID',
      `No table ${schemas.staging}.${table}: backfill loads a staging table, one of ${known.map((k) => k.name).join(', ') || '(none: run `crypto-etl migrate`)'}`,
    );
  }
  const key = await db.query<{ name: string }>(
    `SELECT kcu.column_name AS name FROM information_schema.table_constraints tc
     JOIN information_schema.key_column_usage kcu
       ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema AND kcu.table_name = tc.table_name
     WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = $1 AND tc.table_name = $2
     ORDER BY kcu.ordinal_position`,
    [schemas.staging, table],
  );
  if (key.length === 0) {
    throw new EtlError(
      'ETL_INPUT_INVALID',
      `${schemas.staging}.${table} has no primary key, so a rerun could not skip rows it already holds`,
    );
  }
  const columns = new Map(
    rows.map((r) => [
      r.name,
      {
        parse: parserFor({
          dataType: r.data_type,
          maxLength: num(r.max_length),
          precision: num(r.num_precision),
          scale: num(r.num_scale),
        }),
        required: r.is_nullable === 'NO' && r.column_default === null,
      },
    ]),
  );
  return { table: `${schemas.staging}.${table}`, columns, key: key.map((k) => k.name) };
}

/**
 * Maps a header row onto the table by name (case and surrounding spaces ignored).
 * @throws EtlError `ETL_INPUT_INVALID` naming unknown, repeated or missing columns.
 */
export function planColumns(shape: TableShape, header: readonly string[]): ColumnPlan {
  const columns = header.map((h) => h.trim().toLowerCase());
  const unknown = columns.filter((c) => !shape.columns.has(c));
  const problems: string[] = [];
  if (unknown.length > 0) {
    problems.push(`unknown column(s) ${unknown.join(', ')} (the table has ${[...shape.columns.keys()].join(', ')})`);
  }
  const repeated = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (repeated.length > 0) problems.push(`repeated column(s) ${[...new Set(repeated)].join(', ')}`);
  const missing = [...shape.columns]
    .filter(([name, col]) => (col.required || shape.key.includes(name)) && !columns.includes(name))
    .map(([name]) => name);
  if (missing.length > 0) problems.push(`missing required column(s) ${missing.join(', ')}`);
  if (problems.length > 0) {
    throw new EtlError(
      'ETL_INPUT_INVALID',
      `The header row does not fit ${shape.table}: ${problems.join('; ')}. The first line must name the columns`,
    );
  }
  return {
    columns,
    parsers: columns.map((c) => shape.columns.get(c)?.parse as FieldParser),
    required: columns.map((c) => (shape.columns.get(c)?.required ?? false) || shape.key.includes(c)),
  };
}
