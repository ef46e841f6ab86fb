import { type ColumnInfo, columnsOf } from '../db/introspect.ts';
import type { Queryable } from '../db/types.ts';

/** A column as the lake writes it: the DuckDB (Parquet) type, and the SQL that reads it as CSV text. */
export interface LakeColumn {
  name: string;
  /** DuckDB type the CSV is parsed into, written as the Parquet type (`DECIMAL(38,0)`, `TIMESTAMPTZ`…). */
  type: string;
  /** The select expression giving this column's CSV text in PostgreSQL. */
  select: string;
}

/** Parquet's DECIMAL holds 38 digits in DuckDB; wider values (uint256: 78 digits) stay exact as strings. */
const MAX_DECIMAL_PRECISION = 38;

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The typed columns of a staging table, read from the catalog: exact decimals as DECIMAL(p,s) where p ≤ 38 and
 * as strings otherwise (numeric(78,0), unconstrained numeric), timestamps as UTC microseconds, JSON as strings.
 */
export async function lakeColumns(db: Queryable, schema: string, table: string): Promise<LakeColumn[]> {
  return (await columnsOf(db, schema, table)).map((c) => toLakeColumn(c));
}

export function toLakeColumn(c: ColumnInfo): LakeColumn {
  const col = quote(c.name);
  const as = (type: string, select = col) => ({ name: c.name, type, select });
  switch (c.dataType) {
    case 'bigint':
      return as('BIGINT');
    case 'integer':
      return as('INTEGER');
    case 'smallint':
      return as('SMALLINT');
    case 'boolean':
      return as('BOOLEAN');
    case 'double precision':
      return as('DOUBLE');
    case 'real':
      return as('FLOAT');
    case 'date':
      return as('DATE', `to_char(${col}, 'YYYY-MM-DD')`);
    case 'timestamp with time zone':
      return as('TIMESTAMPTZ', `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);
    case 'timestamp without time zone':
      return as('TIMESTAMP', `to_char(${col}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`);
    case 'numeric': {
      return c.precision !== null && c.precision <= MAX_DECIMAL_PRECISION
        ? as(`DECIMAL(${c.precision},${c.scale ?? 0})`)
        : as('VARCHAR', `${col}::text`);
    }
    default:
      // text, jsonb/json (JSON as its text), anything else as its PostgreSQL text form.
      return as('VARCHAR', `${col}::text`);
  }
}
