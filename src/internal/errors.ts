/**
 * Every failure the product reports carries a stable code, listed with its fix in docs/errors.md.
 * `retryable` tells executors and HTTP clients whether trying again can help.
 */
export type ErrorCode =
  | 'ETL_CONFIG_INVALID'
  | 'ETL_UPSTREAM_UNREACHABLE'
  | 'ETL_UPSTREAM_TIMEOUT'
  | 'ETL_UPSTREAM_RATE_LIMITED'
  | 'ETL_UPSTREAM_HTTP'
  | 'ETL_UPSTREAM_AUTH'
  | 'ETL_UPSTREAM_MALFORMED'
  | 'ETL_UPSTREAM_EMPTY'
  | 'ETL_UPSTREAM_SHORT'
  | 'ETL_UPSTREAM_UNSTABLE'
  | 'ETL_UPSTREAM_STALE'
  | 'ETL_UPSTREAM_QUERY_FAILED'
  | 'ETL_UPSTREAM_QUERY_CANCELLED'
  | 'ETL_UPSTREAM_QUERY_EXPIRED'
  | 'ETL_UPSTREAM_CREDITS'
  | 'ETL_UPSTREAM_PLAN'
  | 'ETL_DB'
  | 'ETL_DB_UNAVAILABLE'
  | 'ETL_JOB_UNKNOWN'
  | 'ETL_JOB_ALREADY_RUNNING'
  | 'ETL_JOB_TIMEOUT'
  | 'ETL_INPUT_INVALID'
  | 'ETL_SCHEMA_DRIFT'
  | 'ETL_REJECTS_EXCEEDED'
  | 'ETL_REORG_TOO_DEEP'
  | 'ETL_DATA_GAP'
  | 'ETL_EVM_RPC_ERROR'
  | 'ETL_EVM_RESPONSE_TOO_LARGE'
  | 'ETL_EVM_RECEIPT_MISSING'
  | 'ETL_ABORTED'
  | 'ETL_QUEUE_UNREACHABLE'
  | 'ETL_QUEUE_DISABLED'
  | 'ETL_WORKER_LOST'
  | 'ETL_RUN_ABANDONED'
  | 'ETL_ALERT_FAILED'
  | 'ETL_QUALITY_CHECK_FAILED'
  | 'ETL_API_UNAUTHORIZED'
  | 'ETL_API_DISABLED'
  | 'ETL_API_RATE_LIMITED'
  | 'ETL_API_BUSY'
  | 'ETL_API_CLIENT_GONE'
  | 'ETL_QUERY_TIMEOUT'
  | 'ETL_LAKE';

export interface EtlErrorOptions {
  retryable?: boolean;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class EtlError extends Error {
  override readonly name = 'EtlError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: EtlErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

export function isEtlError(error: unknown, code?: ErrorCode): error is EtlError {
  return error instanceof EtlError && (code === undefined || error.code === code);
}

/** Whether trying again can help: an EtlError says so; anything else (a bug, a driver error) may be passing. */
export function isRetryable(error: unknown): boolean {
  return error instanceof EtlError ? error.retryable : true;
}

/** One line for a person: the code when there is one, then the message. */
export function describeError(error: unknown): string {
  if (error instanceof EtlError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
