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
import { describeIssues } from '../../pipeline/rejects.ts';
import { networkReason } from '../http/httpClient.ts';
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
 * CoinGecko through its official SDK, pointed at `COINGECKO_API_URL` with the plan's key header.
 * The SDK retries 408/429/5xx and honours `Retry-After`; our fetch paces calls under the plan's rate.
 */
export function createCoinGeckoClient({ config, log, onResponse }: CoinGeckoClientOptions): CoinGeckoClient {
  const { apiUrl, apiKey, plan, ratePerMin, vsCurrency } = config.coingecko;
  const limiter = createRateLimiter(ratePerMin);
  const keyHeader = plan === 'pro' ? 'x-cg-pro-api-key' : 'x-cg-demo-api-key';
  const pacedFetch: typeof fetch = async (input, init) => {
    await limiter.acquire(init?.signal ?? undefined);
    const response = await fetch(input, init);
    onResponse?.('coingecko', response.status);
    if (response.status === 429) {
      log.warn(
        { upstream: 'CoinGecko', retryAfter: response.headers.get('retry-after') },
        'rate limited (429): waiting Retry-After',
      );
    }
    return response;
  };
  const sdk = new Coingecko({
    baseURL: apiUrl,
    ...(apiKey
      ? plan === 'pro'
        ? { proAPIKey: apiKey }
        : { demoAPIKey: apiKey }
      : { defaultHeaders: { [keyHeader]: null } }),
    maxRetries: config.http.maxRetries,
    timeout: config.http.timeoutMs,
    fetch: pacedFetch,
  });

  async function call<S extends z.ZodType>(
    what: string,
    schema: S,
    request: () => Promise<unknown>,
  ): Promise<z.infer<S>> {
    let body: unknown;
    try {
      body = await request();
    } catch (error) {
      throw toEtlError(error, what, apiUrl, apiKey);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new EtlError(
        'ETL_UPSTREAM_MALFORMED',
        `Malformed CoinGecko response for ${what}: ${describeIssues(parsed.error)}`,
      );
    }
    return parsed.data;
  }

  return {
    listCoins: () => call('/coins/list', coinListSchema, () => sdk.coins.list.get({ include_platform: true })),
    marketsPage: (page, perPage) =>
      call(`/coins/markets page ${page}`, marketsPageSchema, () =>
        sdk.coins.markets.get({ vs_currency: vsCurrency, per_page: perPage, page, order: 'market_cap_desc' }),
      ),
    marketChartRange: (coinId, fromSec, toSec) =>
      call(`/coins/${coinId}/market_chart/range`, marketChartSchema, () =>
        sdk.coins.marketChart.getRange(coinId, { vs_currency: vsCurrency, from: String(fromSec), to: String(toSec) }),
      ),
  };
}

function toEtlError(error: unknown, what: string, apiUrl: string, apiKey: string | undefined): EtlError {
  const where = `${redactUrl(apiUrl)} (${what})`;
  const said = (e: APIError) => scrubSecrets(e.message, [apiKey]).slice(0, 300);
  if (error instanceof APIConnectionTimeoutError) {
    return new EtlError(
      'ETL_UPSTREAM_TIMEOUT',
      `CoinGecko did not answer in time at ${where}: try again later or raise HTTP_TIMEOUT_MS`,
      {
        retryable: true,
        cause: error,
      },
    );
  }
  if (error instanceof APIConnectionError) {
    return new EtlError(
      'ETL_UPSTREAM_UNREACHABLE',
      `CoinGecko is unreachable at ${where} (${networkReason(error)}): check the network or COINGECKO_API_URL, or run with --sandbox`,
      { retryable: true, cause: error },
    );
  }
  if (error instanceof RateLimitError) {
    return new EtlError(
      'ETL_UPSTREAM_RATE_LIMITED',
      `CoinGecko rate limit (HTTP 429) still hit after retries at ${where}: lower COINGECKO_RATE_PER_MIN or upgrade the plan`,
      {
        retryable: true,
        cause: error,
      },
    );
  }
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) {
    return new EtlError(
      'ETL_UPSTREAM_AUTH',
      `CoinGecko refused the key (HTTP ${error.status}) at ${where}: check COINGECKO_API_KEY and that COINGECKO_PLAN matches it. Upstream said: ${said(error)}`,
    );
  }
  if (error instanceof APIError) {
    const retryable = (error.status ?? 0) >= 500;
    return new EtlError('ETL_UPSTREAM_HTTP', `CoinGecko answered HTTP ${error.status} at ${where}: ${said(error)}`, {
      retryable,
      cause: error,
    });
  }
  return new EtlError('ETL_UPSTREAM_HTTP', `CoinGecko request failed at ${where}: ${(error as Error).message}`, {
    cause: error,
  });
}
