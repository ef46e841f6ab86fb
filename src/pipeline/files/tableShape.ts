import { columnsOf, primaryKeyOf, relationsIn } from '../../db/introspect.ts';
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

/**
 * Reads a staging table's columns and primary key from the catalogue.
 * @throws EtlError `ETL_INPUT_INVALID` when the table does not exist or has no primary key.
 */
export async function readTableShape(db: Queryable, schemas: Schemas, table: string): Promise<TableShape> {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) {
    throw new EtlError(
      'ETL_INPUT_INVALID',
      `"${table}" is not a table name: use a staging table such as coingecko_prices`,
    );
  }
  const rows = await columnsOf(db, schemas.staging, table);
  if (rows.length === 0) {
    const known = await relationsIn(db, schemas.staging);
    throw new EtlError(
      'ETL_INPUT_INVALID',
      `No table ${schemas.staging}.${table}: backfill loads a staging table, one of ${known.join(', ') || '(none: run `crypto-etl migrate`)'}`,
    );
  }
  const key = await primaryKeyOf(db, schemas.staging, table);
  if (key.length === 0) {
    throw new EtlError(
      'ETL_INPUT_INVALID',
      `${schemas.staging}.${table} has no primary key, so a rerun could not skip rows it already holds`,
    );
  }
  const columns = new Map(rows.map((c) => [c.name, { parse: parserFor(c), required: !c.nullable && !c.hasDefault }]));
  return { table: `${schemas.staging}.${table}`, columns, key };
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
