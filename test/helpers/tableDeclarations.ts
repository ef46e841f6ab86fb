import { type ColumnInfo, columnsOf, primaryKeyOf } from '../../src/db/introspect.ts';
import { listPartitionedTables } from '../../src/db/partitions.ts';
import type { Db } from '../../src/db/types.ts';
import type { ColumnType, TableSpec } from '../../src/tables/defineTable.ts';

/**
 * The catalogue's `data_type` names each engine gives a declared type (MariaDB's JSON is a LONGTEXT alias; MySQL's
 * uint256 is canonical decimal text in a varchar(78)).
 */
export const CATALOGUE_TYPES: Record<ColumnType, readonly string[]> = {
  text: ['text', 'varchar', 'char', 'longtext'],
  numeric: ['numeric', 'decimal'],
  uint256: ['numeric', 'varchar'],
  smallint: ['smallint'],
  integer: ['integer', 'int'],
  bigint: ['bigint'],
  boolean: ['boolean', 'tinyint'],
  date: ['date'],
  timestamptz: ['timestamp with time zone', 'datetime', 'timestamp'],
  json: ['jsonb', 'json', 'longtext'],
};

/** A uint256 column as migrated: numeric(78,0) on PostgreSQL, varchar(78) decimal text on MySQL/MariaDB. */
const isUint256 = (c: ColumnInfo) =>
  c.dataType.toLowerCase() === 'varchar' ? c.maxLength === 78 : c.precision === 78 && c.scale === 0;

/** Whether a migrated column holds what its declared type says: the type's family, and uint256's width. */
function typeFits(type: ColumnType, column: ColumnInfo): boolean {
  if (!CATALOGUE_TYPES[type].includes(column.dataType.toLowerCase())) return false;
  // A numeric(78,0) declared `numeric` (or a decimal(65,30) declared `uint256`) is a wrong declaration.
  if (type === 'uint256') return isUint256(column);
  if (type === 'numeric') return !isUint256(column);
  return true;
}

const shown = (columns: readonly string[]) => `(${columns.join(', ')})`;

/**
 * Every way the migrated table differs from its declaration, in words; none when they agree. The primary key is
 * the declared key, and where the engine partitions the table (PostgreSQL, PGlite: migration 0012) the key followed
 * by the declared partition columns it lacks, which must be the table's partition columns.
 */
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
    if (!typeFits(spec.type, column)) {
      const size =
        column.maxLength != null
          ? `(${column.maxLength})`
          : column.precision != null && column.dataType.toLowerCase() !== 'bigint'
            ? `(${column.precision},${column.scale})`
            : '';
      found.push(`${table.name}.${name}: declared ${spec.type}, the table has ${column.dataType}${size}`);
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
  // None on an engine that does not partition (MySQL/MariaDB): there the key is the natural one.
  const partitioned = (await listPartitionedTables(db, db.schemas.staging)).find(
    (p) => p.table === `${db.schemas.staging}.${table.name}`,
  );
  const declaredParts = table.partitionedBy ?? [];
  let expectedKey: readonly string[] = table.key;
  if (partitioned) {
    if (partitioned.columns.join(',') !== declaredParts.join(',')) {
      found.push(
        `${table.name}: partitioned by ${shown(partitioned.columns)}, declared partitionedBy ${shown(declaredParts)}`,
      );
    }
    expectedKey = [...table.key, ...partitioned.columns.filter((c) => !table.key.includes(c))];
  } else if (declaredParts.length > 0 && db.dialect === 'postgres') {
    found.push(`${table.name}: declared partitionedBy ${shown(declaredParts)}, the table is not partitioned`);
  }
  const key = await primaryKeyOf(db, db.schemas.staging, table.name);
  if (key.join(',') !== expectedKey.join(',')) {
    const which = partitioned ? `key ∪ partitionedBy ${shown(expectedKey)}` : `key ${shown(expectedKey)}`;
    found.push(`${table.name}: declared ${which}, the table's is ${shown(key)}`);
  }
  return found;
}
