import { paramValue } from './copyText.ts';
import { lastPerKey } from './lastPerKey.ts';
import { conflictKey } from './partitions.ts';
import type { Row, WriteTarget } from './types.ts';

/** What the PostgreSQL-family engines (pg and PGlite) must give the shared loader. */
export interface PostgresSession {
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Affected-row count of one statement. */
  execCount(sql: string, params?: readonly unknown[]): Promise<number>;
  /** `COPY <table> (<columns>) FROM STDIN` with the rows in text format. */
  copyIn(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void>;
}

/** Batches at least this large go through COPY; smaller ones are cheaper as one INSERT. */
export const COPY_THRESHOLD = 500;
/** PostgreSQL caps bind parameters at 65,535 per statement. */
const MAX_PARAMS = 65_535;

/** Must run inside a transaction: the COPY path uses a temporary table dropped at commit. */
export async function writeRowsPostgres(
  session: PostgresSession,
  target: WriteTarget,
  rows: readonly (readonly unknown[])[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const cols = target.columns.join(', ');
  if (rows.length >= COPY_THRESHOLD && (await tryDirectCopy(session, target, rows))) return rows.length;
  // On a partitioned table the conflict target holds the partition key too (src/db/partitions.ts).
  const conflict = conflictClause({ ...target, key: await conflictKey(session, target) });
  if (rows.length >= COPY_THRESHOLD) {
    const temp = `_load_${target.table.replace(/\W/g, '_')}`;
    await session.execCount(
      `CREATE TEMP TABLE ${temp} ON COMMIT DROP AS SELECT ${cols} FROM ${target.table} WITH NO DATA`,
    );
    await session.copyIn(temp, target.columns, rows);
    // DISTINCT ON: a key repeated within one batch would otherwise abort ON CONFLICT DO UPDATE. The last row of
    // a key wins, as on the INSERT path: COPY fills the fresh temp table in input order, so ctid follows it.
    const source =
      target.onConflict === 'update'
        ? `SELECT DISTINCT ON (${target.key.join(', ')}) ${cols} FROM ${temp} ORDER BY ${target.key.join(', ')}, ctid DESC`
        : `SELECT ${cols} FROM ${temp}`;
    const count = await session.execCount(`INSERT INTO ${target.table} AS t (${cols}) ${source} ${conflict}`);
    await session.execCount(`DROP TABLE ${temp}`);
    return count;
  }
  const unique = target.onConflict === 'update' ? lastPerKey(target, rows, (v) => JSON.stringify(paramValue(v))) : rows;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / target.columns.length));
  let count = 0;
  for (let start = 0; start < unique.length; start += perStatement) {
    const slice = unique.slice(start, start + perStatement);
    const params: unknown[] = [];
    const tuples = slice.map((row) => `(${row.map((v) => `$${params.push(paramValue(v))}`).join(', ')})`);
    count += await session.execCount(
      `INSERT INTO ${target.table} AS t (${cols}) VALUES ${tuples.join(', ')} ${conflict}`,
      params,
    );
  }
  return count;
}

/**
 * The common case of a bulk load is new rows (the next window of a time series): then COPY straight into the
 * table is as fast as loading gets. A probe of a few keys picks that path; a savepoint makes it safe, because
 * any key that does exist (or repeats within the batch) aborts the COPY with 23505 and the merge path runs instead.
 */
async function tryDirectCopy(
  session: PostgresSession,
  target: WriteTarget,
  rows: readonly (readonly unknown[])[],
): Promise<boolean> {
  const keyIdx = target.key.map((k) => target.columns.indexOf(k));
  const probes = [rows[0], rows[rows.length >> 1], rows[rows.length - 1]] as (readonly unknown[])[];
  const params: unknown[] = [];
  const tuples = probes.map((row) => `(${keyIdx.map((i) => `$${params.push(paramValue(row[i]))}`).join(', ')})`);
  const found = await session.query(
    `SELECT 1 FROM ${target.table} WHERE (${target.key.join(', ')}) IN (${tuples.join(', ')}) LIMIT 1`,
    params,
  );
  if (found.length > 0) return false;
  await session.execCount('SAVEPOINT direct_copy');
  try {
    await session.copyIn(target.table, target.columns, rows);
    await session.execCount('RELEASE SAVEPOINT direct_copy');
    return true;
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    await session.execCount('ROLLBACK TO SAVEPOINT direct_copy');
    return false;
  }
}

function conflictClause(target: WriteTarget): string {
  const key = target.key.join(', ');
  const rest = target.columns.filter((c) => !target.key.includes(c));
  if (target.onConflict === 'ignore' || rest.length === 0) return `ON CONFLICT (${key}) DO NOTHING`;
  const set = [...rest.map((c) => `${c} = EXCLUDED.${c}`), ...(target.touch ? [`${target.touch} = now()`] : [])].join(
    ', ',
  );
  const compared = rest.filter((c) => !target.volatile?.includes(c));
  const changed = `(${compared.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${compared.map((c) => `EXCLUDED.${c}`).join(', ')})`;
  // Rows whose content is unchanged are not rewritten, so a rerun reports 0 rows loaded.
  return `ON CONFLICT (${key}) DO UPDATE SET ${set} WHERE ${changed}`;
}
