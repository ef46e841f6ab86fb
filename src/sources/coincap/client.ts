import type { Config } from '../../config.ts';
import { EtlError, isEtlError } from '../../internal/errors.ts';
import type { Logger } from '../../internal/logger.ts';
import { createHttpClient } from '../http/httpClient.ts';
import { type ListEnvelope, listEnvelope } from './schemas.ts';

/** The history intervals this source loads: daily and hourly points. */
export type HistoryInterval = 'd1' | 'h1';

export interface CoinCapClient {
  assets(limit: number, offset: number, signal?: AbortSignal): Promise<ListEnvelope>;
  exchanges(signal?: AbortSignal): Promise<ListEnvelope>;
  markets(limit: number, offset: number, signal?: AbortSignal): Promise<ListEnvelope>;
  /** Points of one asset in [startMs, endMs]; `undefined` when CoinCap does not know the asset (404). */
  history(
    assetId: string,
    interval: HistoryInterval,
    startMs: number,
    endMs: number,
    signal?: AbortSignal,
  ): Promise<ListEnvelope | undefined>;
}

export interface CoinCapClientOptions {
  config: Pick<Config, 'coincap' | 'http'>;
  log: Logger;
  onResponse?: (upstream: string, status: number) => void;
}

/**
 * CoinCap (v3) through the shared HTTP client: the key as a bearer token, paced under `COINCAP_RATE_PER_MIN`,
 * retries on 429/5xx. A refused key and the retired v2 host fail with what to change.
 */
export function createCoinCapClient({ config, log, onResponse }: CoinCapClientOptions): CoinCapClient {
  const { apiUrl, apiKey, ratePerMin } = config.coincap;
  const http = createHttpClient({
    name: 'CoinCap',
    baseUrl: apiUrl,
    urlSetting: 'COINCAP_API_URL',
    headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    ratePerMin,
    timeoutMs: config.http.timeoutMs,
    maxRetries: config.http.maxRetries,
    secrets: [apiKey],
    log,
    onResponse,
  });

  async function call(path: string, query: Record<string, string | number>, signal?: AbortSignal, pass404 = false) {
    try {
      return await http.request(path, { query, signal, passStatuses: pass404 ? [404] : [] });
    } catch (error) {
      if (isEtlError(error, 'ETL_UPSTREAM_AUTH')) {
        throw new EtlError(
          'ETL_UPSTREAM_AUTH',
          `${error.message}. CoinCap v3 needs a key: set COINCAP_API_KEY (from pro.coincap.io/dashboard)`,
          { cause: error, details: error.details },
        );
      }
      throw error;
    }
  }

  function envelope(path: string, body: unknown): ListEnvelope {
    const notice = (body as { data?: { message?: unknown } } | null)?.data?.message;
    if (typeof notice === 'string') {
      throw new EtlError(
        'ETL_UPSTREAM_MALFORMED',
        `CoinCap answered a notice instead of data at ${path}: "${notice.slice(0, 160)}". The v2 API is retired: set COINCAP_API_URL=https://rest.coincap.io/v3 and COINCAP_API_KEY`,
      );
    }
    const parsed = listEnvelope.safeParse(body);
    if (!parsed.success) {
      throw new EtlError(
        'ETL_UPSTREAM_MALFORMED',
        `Malformed CoinCap response for ${path}: expected {data: [...], timestamp}, got ${JSON.stringify(body).slice(0, 120)}`,
      );
    }
    return parsed.data;
  }

  const get = async (path: string, query: Record<string, string | number>, signal?: AbortSignal) =>
    envelope(path, (await call(path, query, signal)).body);

  return {
    assets: (limit, offset, signal) => get('/assets', { limit, offset }, signal),
    exchanges: (signal) => get('/exchanges', {}, signal),
    markets: (limit, offset, signal) => get('/markets', { limit, offset }, signal),
    async history(assetId, interval, startMs, endMs, signal) {
      const path = `/assets/${encodeURIComponent(assetId)}/history`;
      const response = await call(path, { interval, start: startMs, end: endMs }, signal, true);
      return response.status === 404 ? undefined : envelope(path, response.body);
    },
  };
}
