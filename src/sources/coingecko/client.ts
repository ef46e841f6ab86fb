import Coingecko, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  AuthenticationError,
  PermissionDeniedError,
  RateLimitError,
} from '@coingecko/coingecko-typescript';
import type { z } from 'zod';
import type { Config } from '../../config.ts';
import { EtlError } from '../../internal/errors.ts';
import type { Logger } from '../../internal/logger.ts';
import { redactUrl, scrubSecrets } from '../../internal/redact.ts';
import { describeIssues } from '../../internal/zodIssues.ts';
import { type ExchangeFailure, exchange, networkReason } from '../http/exchange.ts';
import { createRateLimiter } from '../http/rateLimiter.ts';
import { coinListSchema, marketChartSchema, marketsPageSchema } from './schemas.ts';

export interface CoinGeckoClient {
  listCoins(): Promise<z.infer<typeof coinListSchema>>;
  marketsPage(page: number, perPage: number): Promise<z.infer<typeof marketsPageSchema>>;
  /** Price, market cap and volume points of one coin between two instants (UNIX seconds). */
  marketChartRange(coinId: string, fromSec: number, toSec: number): Promise<z.infer<typeof marketChartSchema>>;
}

export interface CoinGeckoClientOptions {
  config: Pick<Config, 'coingecko' | 'http'>;
  log: Logger;
  onResponse?: (upstream: string, status: number) => void;
}

/**
 * An exchange that gave no whole answer. Thrown from the SDK's fetch, so the SDK retries it as a connection
 * error (`APIConnectionError`, this as its cause) with its other retryable failures.
 */
class IncompleteAnswer extends Error {
  // NOTE: no `cause` and a fixed message: an error that mentions a time-out anywhere is taken by the SDK for its
  // own and replaced by a bare APIConnectionTimeoutError, losing whether the headers or the body stalled.
  constructor(readonly failure: ExchangeFailure) {
    super('CoinGecko gave no whole answer');
  }
}

/**
 * CoinGecko through its official SDK, pointed at `COINGECKO_API_URL` with the plan's key header.
 * The SDK retries 408/429/5xx (honouring `Retry-After`) and connection failures, `HTTP_MAX_RETRIES` times; our
 * fetch paces calls under the plan's rate and reads each body to its end within `HTTP_TIMEOUT_MS`.
 */
export function createCoinGeckoClient({ config, log, onResponse }: CoinGeckoClientOptions): CoinGeckoClient {
  const { apiUrl, apiKey, plan, ratePerMin, vsCurrency } = config.coingecko;
  const { timeoutMs, maxRetries } = config.http;
  const limiter = createRateLimiter(ratePerMin);
  const keyHeader = plan === 'pro' ? 'x-cg-pro-api-key' : 'x-cg-demo-api-key';
  // NOTE: the SDK's own timer stops at the headers (a stalled body then waits undici's 300 s) and also runs
  // through our rate-limit wait, so its signal is left aside: `exchange` holds the timer, from the request
  // to the body's last byte.
  const wholeAnswerFetch: typeof fetch = async (input, init) => {
    await limiter.acquire();
    const { signal: _sdkTimer, ...request } = init ?? {};
    const url = new URL(input instanceof Request ? input.url : input);
    const answer = await exchange(url, request, timeoutMs);
    if ('kind' in answer) {
      onResponse?.('coingecko', 0);
      const { cause: _, ...failure } = answer;
      log.warn({ upstream: 'CoinGecko', url: redactUrl(url.toString()), ...failure }, 'upstream request failed');
      throw new IncompleteAnswer(answer);
    }
    const { response, text } = answer;
    onResponse?.('coingecko', response.status);
    if (response.status === 429) {
      log.warn(
        { upstream: 'CoinGecko', retryAfter: response.headers.get('retry-after') },
        'rate limited (429): waiting Retry-After',
      );
    }
    // The body is read already: the SDK gets it whole, and never waits on the socket again.
    return new Response(text === '' ? null : text, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
  const sdk = new Coingecko({
    baseURL: apiUrl,
    ...(apiKey
      ? plan === 'pro'
        ? { proAPIKey: apiKey }
        : { demoAPIKey: apiKey }
      : { defaultHeaders: { [keyHeader]: null } }),
    maxRetries,
    timeout: timeoutMs,
    fetch: wholeAnswerFetch,
  });

  async function call<S extends z.ZodType>(
    what: string,
    schema: S,
    request: () => Promise<Response>,
  ): Promise<z.infer<S>> {
    const where = `${redactUrl(apiUrl)} (${what})`;
    let text: string;
    try {
      text = await (await request()).text();
    } catch (error) {
      throw toEtlError(error, where, { apiKey, timeoutMs, attempts: maxRetries + 1 });
    }
    const parsed = schema.safeParse(parseJson(text, where));
    if (!parsed.success) {
      throw new EtlError(
        'ETL_UPSTREAM_MALFORMED',
        `Malformed CoinGecko response for ${what}: ${describeIssues(parsed.error)}`,
      );
    }
    return parsed.data;
  }

  // `asResponse()`: the SDK hands over the answer unparsed, so JSON cut short is ours to report.
  return {
    listCoins: () =>
      call('/coins/list', coinListSchema, () => sdk.coins.list.get({ include_platform: true }).asResponse()),
    marketsPage: (page, perPage) =>
      call(`/coins/markets page ${page}`, marketsPageSchema, () =>
        sdk.coins.markets
          .get({ vs_currency: vsCurrency, per_page: perPage, page, order: 'market_cap_desc' })
          .asResponse(),
      ),
    marketChartRange: (coinId, fromSec, toSec) =>
      call(`/coins/${coinId}/market_chart/range`, marketChartSchema, () =>
        sdk.coins.marketChart
          .getRange(coinId, { vs_currency: vsCurrency, from: String(fromSec), to: String(toSec) })
          .asResponse(),
      ),
  };
}

/** A whole answer's JSON; a body that ends inside a value was cut short though its framing was complete. */
function parseJson(text: string, where: string): unknown {
  try {
    return text === '' ? null : JSON.parse(text);
  } catch (error) {
    const at = /end of JSON input|at position (\d+)/.exec((error as Error).message);
    const cut = at && (at[1] === undefined || Number(at[1]) >= text.length);
    throw new EtlError(
      'ETL_UPSTREAM_MALFORMED',
      `Malformed CoinGecko response at ${where}: ${cut ? 'not JSON (cut short?)' : 'not JSON'}: ${text.slice(0, 120)}`,
      { cause: error },
    );
  }
}

function toEtlError(
  error: unknown,
  where: string,
  { apiKey, timeoutMs, attempts }: { apiKey: string | undefined; timeoutMs: number; attempts: number },
): EtlError {
  if (error instanceof EtlError) return error;
  const said = (e: APIError) => scrubSecrets(e.message, [apiKey]).slice(0, 300);
  const after = `after ${attempts} attempt(s)`;
  if (error instanceof APIConnectionError) {
    // Our fetch's failures come wrapped; anything else the SDK calls a connection error failed before the headers.
    const failure: ExchangeFailure =
      error.cause instanceof IncompleteAnswer
        ? error.cause.failure
        : error instanceof APIConnectionTimeoutError
          ? { kind: 'timeout', during: 'headers', reason: 'timeout', cause: error }
          : { kind: 'network', during: 'headers', reason: networkReason(error), cause: error };
    return incompleteAnswerError(failure, where, timeoutMs, after);
  }
  if (error instanceof RateLimitError) {
    return new EtlError(
      'ETL_UPSTREAM_RATE_LIMITED',
      `CoinGecko rate limit (HTTP 429) still hit after retries at ${where}: lower COINGECKO_RATE_PER_MIN or upgrade the plan`,
      { retryable: true, cause: error },
    );
  }
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) {
    return new EtlError(
      'ETL_UPSTREAM_AUTH',
      `CoinGecko refused the key (HTTP ${error.status}) at ${where}: check COINGECKO_API_KEY and that COINGECKO_PLAN matches it. Upstream said: ${said(error)}`,
    );
  }
  if (error instanceof APIError) {
    // 5xx and 408: the SDK retried them before giving up.
    const retryable = (error.status ?? 0) >= 500 || error.status === 408;
    return new EtlError(
      'ETL_UPSTREAM_HTTP',
      `CoinGecko answered HTTP ${error.status} at ${where}${retryable ? ` ${after}` : ''}: ${said(error)}`,
      { retryable, cause: error },
    );
  }
  return new EtlError('ETL_UPSTREAM_HTTP', `CoinGecko request failed at ${where}: ${(error as Error).message}`, {
    cause: error,
  });
}

/** The error of an exchange that gave no whole answer after the retries: which part stalled or was cut. */
function incompleteAnswerError(failure: ExchangeFailure, where: string, timeoutMs: number, after: string): EtlError {
  const retryable = { retryable: true, cause: failure.cause };
  if (failure.kind === 'aborted') return new EtlError('ETL_ABORTED', `CoinGecko request aborted at ${where}`);
  if (failure.kind === 'timeout') {
    const what = failure.during === 'body' ? 'did not finish its answer' : 'did not answer';
    return new EtlError(
      'ETL_UPSTREAM_TIMEOUT',
      `CoinGecko ${what} at ${where} within ${timeoutMs} ms ${after}: try again later, or raise HTTP_TIMEOUT_MS`,
      retryable,
    );
  }
  return failure.during === 'body'
    ? new EtlError(
        'ETL_UPSTREAM_UNREACHABLE',
        `CoinGecko dropped the connection mid-answer at ${where} (${failure.reason}) ${after}: the upstream or a proxy cut the body; try again later`,
        retryable,
      )
    : new EtlError(
        'ETL_UPSTREAM_UNREACHABLE',
        `CoinGecko is unreachable at ${where} (${failure.reason}) ${after}: check the network or COINGECKO_API_URL, or run with --sandbox`,
        retryable,
      );
}
