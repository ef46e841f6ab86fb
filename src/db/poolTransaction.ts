/** What a pooled driver connection needs for a transaction: plain statements and a way back to its pool. */
export interface PooledConnection {
  query(sql: string): Promise<unknown>;
  release(): void;
}

/**
 * Runs `fn` on one connection taken from a pool between `begin` and COMMIT; any error rolls back (a failed
 * ROLLBACK is ignored: the original error matters) and is rethrown. The connection goes back to the pool either way.
 */
export async function poolTransaction<C extends PooledConnection, T>(
  connect: () => Promise<C>,
  begin: string,
  fn: (conn: C) => Promise<T>,
): Promise<T> {
  const conn = await connect();
  try {
    await conn.query(begin);
    const result = await fn(conn);
    await conn.query('COMMIT');
    return result;
  } catch (error) {
    await conn.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    conn.release();
  }
}
