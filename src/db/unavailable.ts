import { EtlError, isEtlError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';

/** Socket and driver codes of a connection that broke or could not be made (Node, pg, mysql2). */
const LOST_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // mysql2
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  // PostgreSQL: admin_shutdown (pg_terminate_backend, a restart), crash_shutdown, cannot_connect_now (starting up)
  '57P01',
  '57P02',
  '57P03',
]);

/** pg's own messages for a client whose connection is gone; they carry no code. */
const LOST_MESSAGE =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|in closed state|Connection lost/i;

/**
 * Whether `error` says the database connection broke or could not be made (a restart, a failover, a network cut,
 * `pg_terminate_backend`), rather than that a statement was wrong: the first is worth trying again, the second is not.
 */
export function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error) || isEtlError(error)) return false;
  const code = String((error as { code?: unknown }).code ?? '');
  // SQLSTATE class 08: connection exception.
  return LOST_CODES.has(code) || /^08...$/.test(code) || LOST_MESSAGE.test(error.message);
}

/** A lost or refused connection as `ETL_DB_UNAVAILABLE` (retryable); any other error as it is. */
export function asUnavailable(error: unknown): unknown {
  if (!isConnectionLoss(error)) return error;
  const detail = (error as Error).message || String((error as { code?: unknown }).code);
  return new EtlError(
    'ETL_DB_UNAVAILABLE',
    `The database is unavailable (${detail}); connections are made again once it is back`,
    { retryable: true, cause: error },
  );
}

/** Awaits `work`, turning a lost or refused connection into `ETL_DB_UNAVAILABLE`. */
export async function orUnavailable<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw asUnavailable(error);
  }
}

/**
 * Listens for `error` on a pooled connection for its whole life: a connection the server drops emits `error` (pg:
 * twice, the server's notice and the closed socket), even while checked out between statements, and an `error`
 * event nobody listens to ends the process. The pool discards the broken connection and the next use connects
 * anew or fails as `ETL_DB_UNAVAILABLE`, so there is nothing to do here but say so, once.
 */
export function keepAliveOnError(
  connection: { on(event: 'error', listener: (error: Error) => void): unknown },
  log: Logger | undefined,
  pool: string,
): void {
  let told = false;
  connection.on('error', (error) => {
    if (told) return;
    told = true;
    log?.warn({ pool, error: error.message }, 'database connection lost; the next query connects again');
  });
}
