import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { EtlError } from '../../internal/errors.ts';
import type { Logger } from '../../internal/logger.ts';
import { redactUrl, scrubSecrets } from '../../internal/redact.ts';
import { describeIssues } from '../../internal/zodIssues.ts';
import { type ExchangeFailure, exchange } from './exchange.ts';
import { createRateLimiter } from './rateLimiter.ts';
import { backoffMs, parseRetryAfter } from './retry.ts';

export { networkReason } from './exchange.ts';

export interface HttpClientOptions {
  /** The upstream's name in messages: `CoinCap`, `Dune`. */
  name: string;
  baseUrl: string;
  /** The setting a user changes to point elsewhere, named in "unreachable" messages. */
  urlSetting: string;
  headers?: Record<string, string>;
  ratePerMin?: number;
  timeoutMs?: number;
  maxRetries?: number;
  /** A `Retry-After` longer than this fails the run instead of blocking it. Default 5 minutes. */
  maxRetryAfterMs?: number;
  backoffBaseMs?: number;
  /** Values masked in every message (API keys). */
  secrets?: readonly (string | undefined)[];
  log: Logger;
  /** Called with every response status (and 0 for a network failure), for metrics. */
  onResponse?: (upstream: string, status: number) => void;
}

export interface RequestOptions<T> {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Validates the JSON body; a mismatch is `ETL_UPSTREAM_MALFORMED`. */
  schema?: z.ZodType<T>;
  signal?: AbortSignal;
  /** Statuses returned to the caller instead of thrown (e.g. Dune's 404 for "no results yet"). */
  passStatuses?: readonly number[];
}

export interface HttpResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface HttpClient {
  request<T = unknown>(path: string, options?: RequestOptions<T>): Promise<HttpResponse<T>>;
  get<T = unknown>(path: string, options?: RequestOptions<T>): Promise<T>;
  post<T = unknown>(path: string, body: unknown, options?: RequestOptions<T>): Promise<T>;
}

/**
 * A JSON client for one upstream: paced by a rate limiter, retrying 429 (after `Retry-After`), 5xx,
 * timeouts and dropped connections with jittered backoff, and failing with a message that says what to do.
 * Keys never reach a message: URLs are redacted and secret values scrubbed.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const limiter = createRateLimiter(options.ratePerMin ?? Number.POSITIVE_INFINITY);
  const maxRetries = options.maxRetries ?? 4;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
  const baseMs = options.backoffBaseMs ?? 500;
  const secrets = options.secrets ?? [];
  const clean = (text: string) => scrubSecrets(text, secrets);

  /** The error of an exchange that gave no whole answer: the upstream stalled, or the connection failed. */
  function failedExchange(failure: Exclude<ExchangeFailure, { kind: 'aborted' }>, shown: string, attempts: number) {
    const after = `after ${attempts} attempt(s)`;
    const retryable = { retryable: true, cause: failure.cause };
    if (failure.during === 'body') {
      return failure.kind === 'timeout'
        ? new EtlError(
            'ETL_UPSTREAM_TIMEOUT',
            `${options.name} did not finish its answer at ${shown} within ${timeoutMs} ms ${after}: try again later, or raise HTTP_TIMEOUT_MS`,
            retryable,
          )
        : new EtlError(
            'ETL_UPSTREAM_UNREACHABLE',
            `${options.name} dropped the connection mid-answer at ${shown} (${failure.reason}) ${after}: the upstream or a proxy cut the body; try again later`,
            retryable,
          );
    }
    const reason = failure.kind === 'timeout' ? `no answer within ${timeoutMs} ms` : failure.reason;
    return new EtlError(
      failure.kind === 'timeout' ? 'ETL_UPSTREAM_TIMEOUT' : 'ETL_UPSTREAM_UNREACHABLE',
      `${options.name} is unreachable at ${shown} (${reason}) ${after}: check the network, or set ${options.urlSetting}`,
      retryable,
    );
  }

  async function request<T>(path: string, req: RequestOptions<T> = {}): Promise<HttpResponse<T>> {
    const url = new URL(options.baseUrl.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const shown = redactUrl(url.toString());
    let lastError: EtlError | undefined;
    const aborted = (cause: unknown) => new EtlError('ETL_ABORTED', `${options.name} request aborted`, { cause });
    // Waits (rate limit, backoff, Retry-After) end with ETL_ABORTED when the caller stops.
    const pause = (wait: Promise<unknown>) =>
      wait.then(
        () => {},
        (error: unknown) => {
          throw aborted(error);
        },
      );
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      await pause(limiter.acquire(req.signal));
      const answer = await exchange(
        url,
        {
          method: req.method ?? 'GET',
          headers: {
            accept: 'application/json',
            ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...options.headers,
          },
          body: req.body !== undefined ? JSON.stringify(req.body) : undefined,
        },
        timeoutMs,
        req.signal,
      );
      if ('kind' in answer) {
        if (answer.kind === 'aborted') throw aborted(answer.cause);
        options.onResponse?.(options.name, 0);
        lastError = failedExchange(answer, shown, attempt + 1);
        options.log.warn(
          { upstream: options.name, url: shown, attempt, reason: answer.reason, during: answer.during },
          'upstream request failed; retrying',
        );
        if (attempt < maxRetries) await pause(sleep(backoffMs(attempt, baseMs), undefined, { signal: req.signal }));
        continue;
      }
      const { response, text } = answer;
      options.onResponse?.(options.name, response.status);
      if (response.ok || req.passStatuses?.includes(response.status)) {
        return {
          status: response.status,
          headers: response.headers,
          body: parseBody(text, req.schema, shown, response.status),
        };
      }
      const upstreamMessage = clean(text.slice(0, 300));
      if (response.status === 429) {
        const wait = parseRetryAfter(response.headers.get('retry-after')) ?? backoffMs(attempt, baseMs * 4);
        lastError = new EtlError(
          'ETL_UPSTREAM_RATE_LIMITED',
          `${options.name} rate limit (HTTP 429) still hit after ${attempt + 1} attempt(s) at ${shown}: lower the request rate or upgrade the plan. Upstream said: ${upstreamMessage}`,
          { retryable: true, details: { retryAfterMs: wait } },
        );
        if (wait > maxRetryAfterMs) {
          throw new EtlError(
            'ETL_UPSTREAM_RATE_LIMITED',
            `${options.name} asks to wait ${Math.round(wait / 1000)} s (Retry-After) before the next call: try again later`,
            {
              retryable: true,
              details: { retryAfterMs: wait },
            },
          );
        }
        options.log.warn(
          { upstream: options.name, url: shown, waitMs: Math.round(wait) },
          'rate limited (429): waiting Retry-After',
        );
        if (attempt < maxRetries) await pause(sleep(wait, undefined, { signal: req.signal }));
        continue;
      }
      if (response.status >= 500 || response.status === 408) {
        lastError = new EtlError(
          'ETL_UPSTREAM_HTTP',
          `${options.name} answered HTTP ${response.status} at ${shown} after ${attempt + 1} attempt(s): the upstream is failing, try again later. Upstream said: ${upstreamMessage}`,
          { retryable: true, details: { status: response.status } },
        );
        options.log.warn(
          { upstream: options.name, url: shown, status: response.status, attempt },
          'upstream error; retrying',
        );
        if (attempt < maxRetries) await pause(sleep(backoffMs(attempt, baseMs), undefined, { signal: req.signal }));
        continue;
      }
      if (response.status === 401 || response.status === 403) {
        throw new EtlError(
          'ETL_UPSTREAM_AUTH',
          `${options.name} refused the credentials (HTTP ${response.status}) at ${shown}: check the API key and plan settings. Upstream said: ${upstreamMessage}`,
          { details: { status: response.status } },
        );
      }
      throw new EtlError(
        'ETL_UPSTREAM_HTTP',
        `${options.name} answered HTTP ${response.status} at ${shown}: ${upstreamMessage}`,
        {
          details: { status: response.status, body: upstreamMessage },
        },
      );
    }
    throw lastError ?? new EtlError('ETL_UPSTREAM_HTTP', `${options.name} request failed at ${shown}`);
  }

  return {
    request,
    get: async (path, req) => (await request(path, req)).body,
    post: async (path, body, req) => (await request(path, { ...req, method: 'POST', body })).body,
  };
}

function parseBody<T>(text: string, schema: z.ZodType<T> | undefined, shown: string, status: number): T {
  let json: unknown;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch (error) {
    // A body that ends inside a value was cut short (by the upstream or a proxy) though its framing was whole.
    const cut = /end of JSON input|at position (\d+)/.exec((error as Error).message);
    const why = cut && (cut[1] === undefined || Number(cut[1]) >= text.length) ? 'not JSON (cut short?)' : 'not JSON';
    throw new EtlError(
      'ETL_UPSTREAM_MALFORMED',
      `Malformed response from ${shown} (HTTP ${status}): ${why}: ${text.slice(0, 120)}`,
      { cause: error },
    );
  }
  if (!schema) return json as T;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new EtlError('ETL_UPSTREAM_MALFORMED', `Malformed response from ${shown}: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}
