import { EtlError } from '../../internal/errors.ts';
import { type ExecutionError, errorBodySchema } from './schemas.ts';

/** The text of Dune's `{"error": …}` body, or the raw body when it has another shape. */
export function upstreamText(body: unknown): string {
  const parsed = errorBodySchema.safeParse(body);
  if (parsed.success) {
    const error = parsed.data.error;
    return typeof error === 'string' ? error : (error.message ?? JSON.stringify(error));
  }
  return typeof body === 'string' ? body : JSON.stringify(body ?? null);
}

/**
 * Maps a 4xx answer of Dune to an error that says what to do. `action` names the call ("execute query 42").
 * 429s and 5xx never get here: the HTTP client retries them (honouring `Retry-After`) and reports them itself.
 */
export function duneHttpError(status: number, body: unknown, action: string): EtlError {
  const said = upstreamText(body).slice(0, 300);
  const details = { status, upstream: said };
  switch (status) {
    case 401:
      return new EtlError(
        'ETL_UPSTREAM_AUTH',
        `Dune refused the API key (HTTP 401: ${said}) to ${action}: check DUNE_API_KEY (dune.com → Settings → API keys)`,
        { details },
      );
    case 402:
      return new EtlError(
        'ETL_UPSTREAM_CREDITS',
        `Dune refused to ${action} for lack of credits (HTTP 402: ${said}): raise the API limits in your dune.com settings or wait for the next billing cycle; DUNE_RESULTS_MODE=latest reads existing results without paying for a run`,
        { details },
      );
    case 403:
      return new EtlError(
        'ETL_UPSTREAM_AUTH',
        `Dune refused to ${action} (HTTP 403: ${said}): the API key lacks the permission (scope or plan) for this call`,
        { details },
      );
    case 404:
      return new EtlError(
        'ETL_UPSTREAM_HTTP',
        `Dune could not ${action} (HTTP 404: ${said}): check the query id (DUNE_INIT_QUERY_ID / DUNE_UPDATE_QUERY_ID) and that the query is not private to another account`,
        { details },
      );
    default:
      return new EtlError('ETL_UPSTREAM_HTTP', `Dune refused to ${action} (HTTP ${status}: ${said})`, { details });
  }
}

function describeExecutionError(error: ExecutionError | null | undefined): string {
  if (!error) return 'no error text given';
  const where =
    error.metadata && typeof error.metadata.line === 'number'
      ? ` (line ${error.metadata.line}, column ${String(error.metadata.column ?? '?')})`
      : '';
  return `${error.message ?? 'no message'}${where}${error.type ? ` [${error.type}]` : ''}`;
}

/** The error of an execution that ended without a readable result: FAILED, CANCELLED, EXPIRED or truncated. */
export function executionStateError(
  state: string,
  info: { executionId: string; queryId?: number; error?: ExecutionError | null },
): EtlError {
  const subject = `Dune execution ${info.executionId}${info.queryId ? ` of query ${info.queryId}` : ''}`;
  const details = { state, executionId: info.executionId, queryId: info.queryId };
  switch (state) {
    case 'QUERY_STATE_FAILED':
      return new EtlError(
        'ETL_UPSTREAM_QUERY_FAILED',
        `${subject} failed: ${describeExecutionError(info.error)}. Fix the query's SQL on dune.com (or in src/sources/dune/queries/ and run \`crypto-etl dune push\`)`,
        { details: { ...details, error: info.error } },
      );
    case 'QUERY_STATE_CANCELLED':
    case 'QUERY_STATE_CANCELED':
      return new EtlError(
        'ETL_UPSTREAM_QUERY_CANCELLED',
        `${subject} was cancelled before it finished (by a user or by Dune): run the job again`,
        { retryable: true, details },
      );
    case 'QUERY_STATE_EXPIRED':
      return new EtlError(
        'ETL_UPSTREAM_QUERY_EXPIRED',
        `${subject} has expired: Dune no longer stores its results (they are kept 90 days); run the query again (DUNE_RESULTS_MODE=execute)`,
        { retryable: true, details },
      );
    case 'QUERY_STATE_COMPLETED_PARTIAL':
      return new EtlError(
        'ETL_UPSTREAM_QUERY_FAILED',
        `${subject} returned a truncated result (over Dune's size limit): narrow the query (fewer columns or a shorter window) so nothing is silently missing`,
        { details },
      );
    default:
      return new EtlError('ETL_UPSTREAM_MALFORMED', `${subject} is in an unexpected state ${state}`, { details });
  }
}
