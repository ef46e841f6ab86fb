import type { PostgresSession } from '../../db/postgresWrite.ts';
import type { Queryable, WriteTarget } from '../../db/types.ts';

type CopySession = Queryable & Pick<PostgresSession, 'copyIn'>;

// NOTE: the PostgreSQL engines (pg, PGlite) hand transactions a session that can also COPY (see
// db/postgresWrite.ts); MySQL's cannot, and takes the writeRows path.
function canCopy(tx: Queryable): tx is CopySession {
  return typeof (tx as Partial<CopySession>).copyIn === 'function';
}

const UNIQUE_VIOLATION = '23505';

/**
 * Loads chunks of rows into `target` with ON CONFLICT DO NOTHING semantics, inside the caller's transaction.
 * On PostgreSQL a chunk is first COPYed straight into the table under a savepoint: with no key already present
 * (a fresh backfill) that is the whole cost. The first chunk that collides is rolled back to the savepoint and
 * it and every later chunk take `writeRows`: COPY into a temporary table, then INSERT … ON CONFLICT DO NOTHING.
 * Returns, per chunk, how many rows were inserted.
 */
export function createChunkWriter(tx: Queryable, target: WriteTarget): (rows: unknown[][]) => Promise<number> {
  let direct = canCopy(tx);
  return async (rows) => {
    if (direct && canCopy(tx)) {
      await tx.query('SAVEPOINT backfill_chunk');
      try {
        await tx.copyIn(target.table, target.columns, rows);
        await tx.query('RELEASE SAVEPOINT backfill_chunk');
        return rows.length;
      } catch (error) {
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
        await tx.query('ROLLBACK TO SAVEPOINT backfill_chunk');
        direct = false;
      }
    }
    return tx.writeRows(target, rows);
  };
}
