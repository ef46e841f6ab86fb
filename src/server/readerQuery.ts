import pg from 'pg';
import { EtlError } from '../internal/errors.ts';
import type { ClientWatch } from './clientWatch.ts';

export interface ReaderLimits {
  /** The pool's `statement_timeout`, for the message. */
  queryTimeoutMs: number;
  /** The pool's wait for a free connection, for the message. */
  poolWaitMs: number;
}

/** pg's own cancel request (a second connection carrying the backend's key); not in @types/pg. */
type Canceller = pg.Client & {
  cancel(client: pg.ClientBase, query: unknown): void;
  connection: { on(event: 'error', listener: () => void): void };
};

/** Asks PostgreSQL to stop the statement `client` is running, over a connection of its own. */
function cancelRunning(pool: pg.Pool, client: pg.PoolClient): void {
  const canceller = new pg.Client(pool.options) as Canceller;
  // The server closes the cancel connection itself; nothing on it is worth an unhandled error.
  canceller.connection.on('error', () => {});
  canceller.cancel(client, (client as unknown as { activeQuery: unknown }).activeQuery);
}

/**
 * One read on a connection of the pool, under the API's limits: a request that waits longer than the pool's
 * `connectionTimeoutMillis` for a free connection fails as `ETL_API_BUSY`, a statement stopped by
 * `statement_timeout` as `ETL_QUERY_TIMEOUT`, and when the request's client goes away (`client`) the statement is
 * cancelled in PostgreSQL instead of running on for nobody. A connection lost mid-query rejects the query and
 * the pool discards it; its `error` event is the pool's listener's (see keepAliveOnError).
 */
export async function readerQuery(
  pool: pg.Pool,
  query: pg.QueryConfig,
  limits: ReaderLimits,
  client: ClientWatch | undefined,
): Promise<pg.QueryResult> {
  if (client?.gone) throw client.gone;
  const full = pool.idleCount === 0 && pool.totalCount >= (pool.options.max ?? 10);
  let connection: pg.PoolClient;
  try {
    connection = await pool.connect();
  } catch (error) {
    // The same message when a new connection cannot be opened in time: only a full pool means busy.
    if (full && /timeout exceeded when trying to connect/.test((error as Error).message)) {
      throw new EtlError(
        'ETL_API_BUSY',
        `Every connection of the API is busy and none came free within API_POOL_WAIT_MS (${limits.poolWaitMs} ms): try again shortly`,
        { retryable: true, cause: error },
      );
    }
    throw error;
  }
  if (client?.gone) {
    connection.release();
    throw client.gone;
  }
  let cancelled = false;
  const stopWatching = client?.whileWaiting(() => {
    cancelled = true;
    cancelRunning(pool, connection);
  });
  try {
    return await connection.query(query);
  } catch (error) {
    if (cancelled) throw client?.gone;
    const { code, message } = error as { code?: string; message: string };
    if (code === '57014' && /statement timeout/.test(message)) {
      throw new EtlError(
        'ETL_QUERY_TIMEOUT',
        `The query ran longer than API_QUERY_TIMEOUT_MS (${limits.queryTimeoutMs} ms) and was stopped: ask for less (a narrower from/to, a smaller limit or offset), or raise API_QUERY_TIMEOUT_MS`,
        { retryable: true, cause: error },
      );
    }
    throw error;
  } finally {
    stopWatching?.();
    // A cancel request may land after the statement ended, on whatever the connection runs next: a
    // cancelled connection is closed rather than reused.
    connection.release(cancelled || undefined);
  }
}
