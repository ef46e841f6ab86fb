import type { ResultMetadata } from './schemas.ts';

/** The PostgreSQL types a Dune result column can land in. */
export type PgType =
  | 'text'
  | 'boolean'
  | 'integer'
  | 'bigint'
  | 'numeric'
  | 'double precision'
  | 'date'
  | 'timestamptz'
  | 'jsonb';

/** A result column and the staging column it lands in. */
export interface PlannedColumn {
  /** The name in Dune's rows. */
  source: string;
  /** A safe lower-case SQL identifier. */
  name: string;
  type: PgType;
}

/** Columns every any-query table has besides the result's own. */
export const RESERVED_COLUMNS = ['row_key', 'loaded_at'] as const;

/**
 * DuneSQL (Trino) type → PostgreSQL type: uint256/int256/decimal stay exact as numeric, varbinary is `0x…` text,
 * arrays, maps and rows are jsonb; anything unknown is text, which holds every value.
 */
export function pgTypeOf(duneType: string): PgType {
  const t = duneType.trim().toLowerCase();
  if (t === 'boolean') return 'boolean';
  if (['tinyint', 'smallint', 'integer', 'int'].includes(t)) return 'integer';
  if (t === 'bigint') return 'bigint';
  if (/^(u?int\d+|decimal|numeric)\b/.test(t)) return 'numeric';
  if (['double', 'real', 'float'].includes(t)) return 'double precision';
  if (t === 'date') return 'date';
  if (t.startsWith('timestamp')) return 'timestamptz';
  if (/^(array|map|row|json)\b/.test(t)) return 'jsonb';
  return 'text';
}

const EXACT_NUMBERS: PgType[] = ['integer', 'bigint', 'numeric'];
const NUMBERS: PgType[] = [...EXACT_NUMBERS, 'double precision'];

/** The narrowest type that holds the values of both (integer ⊂ bigint ⊂ numeric, date ⊂ timestamptz, all ⊂ text). */
export function widen(a: PgType, b: PgType): PgType {
  if (a === b) return a;
  if (EXACT_NUMBERS.includes(a) && EXACT_NUMBERS.includes(b)) {
    return EXACT_NUMBERS[Math.max(EXACT_NUMBERS.indexOf(a), EXACT_NUMBERS.indexOf(b))] as PgType;
  }
  // PostgreSQL's numeric holds every double exactly (NaN and ±Infinity included).
  if (NUMBERS.includes(a) && NUMBERS.includes(b)) return 'numeric';
  if ((a === 'date' && b === 'timestamptz') || (a === 'timestamptz' && b === 'date')) return 'timestamptz';
  return 'text';
}

/**
 * PostgreSQL's reserved keywords (categories R and T of `pg_get_keywords()`): a column named `from` or `to`, as
 * transfer queries have, would break the unquoted CREATE TABLE and COPY column lists.
 */
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation ' +
    'column concurrently constraint create cross current_catalog current_date current_role current_schema ' +
    'current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch ' +
    'for foreign freeze from full grant group having ilike in initially inner intersect into is isnull join lateral ' +
    'leading left like limit localtime localtimestamp natural not notnull null offset on only or order outer ' +
    'overlaps placing primary references returning right select session_user similar some symmetric system_user ' +
    'table tablesample then to trailing true union unique user using variadic verbose when where window with'
  ).split(' '),
);

/** A lower-case identifier of at most 63 characters, never a reserved word, not clashing with `taken`. */
export function columnIdentifier(source: string, taken: ReadonlySet<string>): string {
  let base = source
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 56);
  if (!base) base = 'column';
  if (/^\d/.test(base)) base = `c_${base}`;
  if (RESERVED.has(base)) base = `${base}_`;
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
  return name;
}

function guessType(value: unknown): PgType {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return 'numeric';
  if (value && typeof value === 'object') return 'jsonb';
  return 'text';
}

/**
 * The staging columns of a result, from its metadata (`column_names` / `column_types`). Some answers lack the
 * types, or the names: then the first rows tell.
 */
export function planColumns(metadata: ResultMetadata, rows: readonly Record<string, unknown>[]): PlannedColumn[] {
  const names = metadata.column_names ?? Object.keys(rows[0] ?? {});
  const taken = new Set<string>(RESERVED_COLUMNS);
  return names.map((source, i) => {
    const duneType = metadata.column_types?.[i];
    const sample = rows.find((row) => row[source] !== null && row[source] !== undefined)?.[source];
    const name = columnIdentifier(source, taken);
    taken.add(name);
    return { source, name, type: duneType ? pgTypeOf(duneType) : guessType(sample) };
  });
}
