import type { ColumnSpec, ColumnType, TableSpec } from '../tables/defineTable.ts';

/**
 * The JSON type the API sends a declared column as (exact decimals as JSON numbers, instants as ISO text). A uint256
 * is decimal text: up to 78 digits, past what a JSON number keeps exactly in most readers.
 */
const JSON_TYPES: Record<ColumnType, { type?: string; format?: string }> = {
  text: { type: 'string' },
  numeric: { type: 'number' },
  uint256: { type: 'string' },
  smallint: { type: 'integer' },
  integer: { type: 'integer' },
  bigint: { type: 'integer' },
  boolean: { type: 'boolean' },
  date: { type: 'string', format: 'date' },
  timestamptz: { type: 'string', format: 'date-time' },
  json: {},
};

/** The JSON schema of one declared column: its type, and null beside it where the column allows null. */
function columnSchema(column: ColumnSpec): object {
  const { type, format } = JSON_TYPES[column.type];
  if (!type) return {};
  return { type: column.nullable ? [type, 'null'] : type, ...(format ? { format } : {}) };
}

/** The response schema's properties of `columns` of a declared table, typed as the declaration says. */
export function columnProperties<C extends string>(table: TableSpec<C>, columns: readonly C[]): Record<C, object> {
  return Object.fromEntries(columns.map((c) => [c, columnSchema(table.columns[c])])) as Record<C, object>;
}

/** The declared columns of `table` among `columns` that hold exact decimals (strings from the drivers). */
export function decimalColumns<C extends string>(table: TableSpec<C>, columns: readonly string[]): string[] {
  return columns.filter((c) => (table.columns as Record<string, ColumnSpec>)[c]?.type === 'numeric');
}
