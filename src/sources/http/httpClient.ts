import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { EtlError } from '../../internal/errors.ts';
import type { Logger } from '../../internal/logger.ts';
import { redactUrl, scrubSecrets } from '../../internal/redact.ts';
import { describeIssues } from '../../pipeline/rejects.ts';
import { createRateLimiter } from './rateLimiter.ts';
import { backoffMs, parseRetryAfter } from './retry.ts';

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

  async function request<T>(path: string, req: RequestOptions<T> = {}): Promise<HttpResponse<T>> {
    const url = new URL(options.baseUrl.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const shown = redactUrl(url.toString());
    let lastError: EtlError | undefined;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      await limiter.acquire(req.signal);
      let response: Response;
      try {
        const signals = [AbortSignal.timeout(timeoutMs), ...(req.signal ? [req.signal] : [])];
        response = await fetch(url, {
          method: req.method ?? 'GET',
          headers: {
            accept: 'application/json',
            ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...options.headers,
          },
          body: req.body !== undefined ? JSON.stringify(req.body) : undefined,
          signal: AbortSignal.any(signals),
        });
      } catch (error) {
        if (req.signal?.aborted) throw new EtlError('ETL_ABORTED', `${options.name} request aborted`, { cause: error });
        options.onResponse?.(options.name, 0);
        const timedOut = (error as Error).name === 'TimeoutError';
        const reason = timedOut ? `no answer within ${timeoutMs} ms` : networkReason(error);
        lastError = new EtlError(
          timedOut ? 'ETL_UPSTREAM_TIMEOUT' : 'ETL_UPSTREAM_UNREACHABLE',
          `${options.name} is unreachable at ${shown} (${reason}) after ${attempt + 1} attempt(s): check the network, or set ${options.urlSetting}`,
          { retryable: true, cause: error },
        );
        options.log.warn({ upstream: options.name, url: shown, attempt, reason }, 'upstream request failed; retrying');
        if (attempt < maxRetries) await sleep(backoffMs(attempt, baseMs), undefined, { signal: req.signal });
        continue;
      }
      options.onResponse?.(options.name, response.status);
      const text = await response.text();
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
        if (attempt < maxRetries) await sleep(wait, undefined, { signal: req.signal });
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
        if (attempt < maxRetries) await sleep(backoffMs(attempt, baseMs), undefined, { signal: req.signal });
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
  } catch {
    throw new EtlError(
      'ETL_UPSTREAM_MALFORMED',
      `Malformed response from ${shown} (HTTP ${status}): not JSON: ${text.slice(0, 120)}`,
    );
  }
  if (!schema) return json as T;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new EtlError('ETL_UPSTREAM_MALFORMED', `Malformed response from ${shown}: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** The socket-level reason of a fetch failure (`ECONNREFUSED`, `ENOTFOUND`…), which undici nests in `cause`. */
export function networkReason(error: unknown): string {
  // SDKs wrap fetch's TypeError('fetch failed'), which wraps the socket error: walk down to the code.
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return e.code;
  }
  return (error as Error).message;
}
