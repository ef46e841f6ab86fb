import { redactUrl } from '../../internal/redact.ts';
import { parseRetryAfter } from '../http/retry.ts';

/**
 * What a failed JSON-RPC call means for the caller:
 * - `rate-limited`: wait (the provider's hint when it gives one) and try again;
 * - `too-large`: the same request will fail again, ask for fewer blocks;
 * - `transient`: a dropped connection, a timeout, a 5xx, a node behind its peers: try again;
 * - `missing-receipt`: a transaction's receipt answered null; tried again like `transient`, but when it lasts the
 *   node has pruned its transaction index, which no wait mends;
 * - `unsupported`: the node lacks the method (a fallback may exist);
 * - `auth`: the provider refuses the key or the plan; `fatal`: anything else.
 */
export type RpcFailureKind =
  | 'rate-limited'
  | 'too-large'
  | 'transient'
  | 'missing-receipt'
  | 'unsupported'
  | 'auth'
  | 'fatal';

export interface RpcFailure {
  kind: RpcFailureKind;
  /** HTTP status, when the failure came with one. */
  status?: number;
  /** JSON-RPC error code, when the node answered one. */
  code?: number;
  /** What the node or the network said, without the URL (viem's messages carry it, keys included). */
  said: string;
  /** How long the provider asked to wait (Retry-After, Infura's `data.rate.backoff_seconds`). */
  waitMs?: number;
}

/**
 * Result caps worded by geth (`response too large`, `batch too large`), Infura and others
 * (`query returned more than 10000 results`, `range 1000000 exceeds limit of 10000`), some of them under
 * -32005, which otherwise means "rate limited": the wording decides (docs/errors-evm.md).
 */
const TOO_LARGE =
  /too large|more than \d+ results|exceeds? (the )?(max|limit)|response size|block range (is )?too|batch (size )?(limit|too)|too many (results|blocks|calls|requests in batch)/i;
const RATE_LIMITED = /rate.?limit|too many requests|request rate|capacity|throttl|exceeded .*(requests|rps|compute)/i;
const UNSUPPORTED = /method .*(not found|does not exist|not (available|supported))|unsupported method|not implemented/i;
/**
 * A node behind the head another answered (a provider's backends), or busy: asked again. `beyond current head` is
 * geth's -32602 for an `eth_getLogs` range past its head (execution-apis filter-error-future-block-range).
 */
const NODE_BEHIND =
  /header not found|unknown block|block not found|beyond (the )?current head|not synced|syncing|timeout|timed out|busy|try again/i;

interface ErrorFields {
  name?: string;
  status?: number;
  code?: number;
  details?: string;
  data?: unknown;
  headers?: Headers;
  cause?: unknown;
}

/** Reads a viem error chain (RpcRequestError inside a typed RpcError, HttpRequestError, TimeoutError…). */
function collect(error: unknown): Required<Pick<ErrorFields, 'name'>> & ErrorFields {
  const out: Required<Pick<ErrorFields, 'name'>> & ErrorFields = { name: '' };
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 6; depth++) {
    const e = current as ErrorFields & { name?: string; message?: string };
    if (!out.name && e.name && e.name !== 'Error') out.name = e.name;
    out.status ??= typeof e.status === 'number' ? e.status : undefined;
    out.code ??= typeof e.code === 'number' ? e.code : undefined;
    out.headers ??= e.headers instanceof Headers ? e.headers : undefined;
    out.data ??= e.data;
    if (!out.details && typeof e.details === 'string' && e.details) out.details = e.details;
    current = e.cause;
  }
  if (!out.details) out.details = networkCause(error);
  return out;
}

/**
 * The socket-level reason undici nests deep in `cause` (`ECONNRESET`, `other side closed`). viem's own
 * messages are skipped: they quote the URL, key included (their `shortMessage` is the safe part).
 */
function networkCause(error: unknown): string {
  let current = error as { cause?: unknown; code?: unknown; message?: unknown; shortMessage?: unknown } | undefined;
  let last = '';
  for (let depth = 0; current && depth < 6; depth++) {
    if (typeof current.code === 'string') return current.code;
    if (typeof current.shortMessage === 'string') last ||= current.shortMessage;
    else if (typeof current.message === 'string') last = current.message;
    current = current.cause as typeof current;
  }
  return last;
}

/** Any URL left in a node's words loses its keys. */
const withoutUrls = (text: string) => text.replace(/https?:\/\/[^\s"'<>)]+/g, (url) => redactUrl(url));

/** Infura-style `{ data: { rate: { backoff_seconds } } }`. */
function backoffHint(data: unknown): number | undefined {
  const seconds = (data as { rate?: { backoff_seconds?: unknown } } | undefined)?.rate?.backoff_seconds;
  return typeof seconds === 'number' && seconds > 0 ? seconds * 1000 : undefined;
}

/** Classifies any error thrown by the RPC layer; never returns the raw message (it carries the URL). */
export function classifyRpcError(error: unknown): RpcFailure {
  const f = collect(error);
  const said = withoutUrls(f.details ?? '').slice(0, 300);
  const base = { status: f.status, code: f.code, said };
  if (f.name === 'ResponseBodyTooLargeError') return { ...base, kind: 'too-large', said: 'response body too large' };
  if (f.name === 'TimeoutError') return { ...base, kind: 'transient', said: 'no answer in time' };
  if (f.name === 'MissingReceiptError') return { ...base, kind: 'missing-receipt', said: (error as Error).message };
  if (f.name === 'InconsistentReplyError') return { ...base, kind: 'transient', said: (error as Error).message };
  const waitMs = parseRetryAfter(f.headers?.get('retry-after') ?? null) ?? backoffHint(f.data);
  if (f.status === 429 || f.code === 429) return { ...base, kind: 'rate-limited', waitMs };
  if (f.status === 413 || TOO_LARGE.test(said)) return { ...base, kind: 'too-large' };
  // Before the rate-limit wording: Alchemy's monthly cap is a 403 "capacity limit exceeded" no wait will lift.
  if (f.status === 401 || f.status === 403) return { ...base, kind: 'auth' };
  if (f.code === -32005 || RATE_LIMITED.test(said)) return { ...base, kind: 'rate-limited', waitMs };
  if (f.code === -32601 || f.code === -32004 || UNSUPPORTED.test(said)) return { ...base, kind: 'unsupported' };
  if (f.status !== undefined && (f.status >= 500 || f.status === 408)) return { ...base, kind: 'transient' };
  if (f.name === 'HttpRequestError' && f.status === undefined) return { ...base, kind: 'transient' };
  if (f.code === -32603 || f.code === -32002 || NODE_BEHIND.test(said)) return { ...base, kind: 'transient' };
  return { ...base, kind: 'fatal' };
}

/** `HTTP 429, -32005 "project ID request rate exceeded"` — for messages. */
export function describeFailure(f: RpcFailure): string {
  const parts = [f.status ? `HTTP ${f.status}` : '', f.code !== undefined ? String(f.code) : ''].filter(Boolean);
  return `${parts.join(', ')}${parts.length ? ' ' : ''}${f.said ? `"${f.said}"` : ''}`.trim() || 'no detail';
}
