import { type ColumnInfo, columnsOf, primaryKeyOf } from '../../src/db/introspect.ts';
import type { Db } from '../../src/db/types.ts';
import type { ColumnType, TableSpec } from '../../src/tables/defineTable.ts';

/** The catalogue's `data_type` names each engine gives a declared type (MariaDB's JSON is a LONGTEXT alias). */
const CATALOGUE_TYPES: Record<ColumnType, readonly string[]> = {
  text: ['text', 'varchar', 'char'],
  numeric: ['numeric', 'decimal'],
  integer: ['integer', 'int'],
  bigint: ['bigint'],
  boolean: ['boolean', 'tinyint'],
  date: ['date'],
  timestamptz: ['timestamp with time zone', 'datetime', 'timestamp'],
  json: ['jsonb', 'json', 'longtext'],
};

/** Every way the migrated table differs from its declaration, in words; none when they agree. */
export async function differences(db: Db, table: TableSpec): Promise<string[]> {
  const actual = new Map<string, ColumnInfo>(
    (await columnsOf(db, db.schemas.staging, table.name)).map((c) => [c.name, c]),
  );
  if (actual.size === 0) return [`${table.name}: no such table`];
  const found: string[] = [];
  for (const [name, spec] of Object.entries(table.columns)) {
    const column = actual.get(name);
    if (!column) {
      found.push(`${table.name}.${name}: declared, not in the table (a migration is missing)`);
      continue;
    }
    if (!CATALOGUE_TYPES[spec.type].includes(column.dataType.toLowerCase())) {
      found.push(`${table.name}.${name}: declared ${spec.type}, the table has ${column.dataType}`);
    }
    if (Boolean(spec.nullable) !== column.nullable) {
      found.push(`${table.name}.${name}: declared ${spec.nullable ? 'nullable' : 'NOT NULL'}, the table differs`);
    }
  }
  for (const name of actual.keys()) {
    if (name !== 'loaded_at' && !(name in table.columns)) {
      found.push(`${table.name}.${name}: in the table, not declared (add it to src/tables/)`);
    }
  }
  const key = await primaryKeyOf(db, db.schemas.staging, table.name);
  if (key.join(',') !== table.key.join(',')) {
    found.push(`${table.name}: declared key (${table.key.join(', ')}), the table's is (${key.join(', ')})`);
  }
  return found;
}
