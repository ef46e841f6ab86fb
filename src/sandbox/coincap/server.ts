import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCatalog } from '../coingecko/coins.ts';
import { createFaultQueue, createMoves, type Fault } from '../coingecko/faults.ts';
import { DEFAULT_SEED } from '../coingecko/prices.ts';
import { createRateLimiter } from '../coingecko/rateLimit.ts';
import { createDelays } from '../http/delays.ts';
import { flatHeaders, requestTarget, startEmulatorServer } from '../http/emulatorServer.ts';
import { responder } from '../http/respond.ts';
import { route } from './routes.ts';

export interface CoinCapEmulatorOptions {
  /** Port on 127.0.0.1; default 0 = a free one. */
  port?: number;
  /** Assets served (the CoinGecko emulator's coins: bitcoin, ethereum, usd-coin, tether, weth, synth-coin-…). */
  assetCount?: number;
  /** Calls per rolling 60 s per key before answering 429; default Infinity. */
  ratePerMin?: number;
  /** `retry-after` header on 429, seconds; default 1. */
  retryAfterSeconds?: number;
  /** When set, every `/v3` request must carry it (`Authorization: Bearer …` or `?apiKey=`), else 401. */
  apiKey?: string;
  /** `/v2` answers the 2025 deprecation notice (HTTP 200) instead of data, as the real host does now. */
  deprecatedV2?: boolean;
  /** Seed of the synthetic prices; default 42, the CoinGecko emulator's. */
  seed?: number;
  /** Clock in ms; default Date.now. */
  now?: () => number;
}

/** One logged request; `path` is the part after `/v3` or `/v2`. */
export interface CoinCapRequest {
  method: string;
  version: 'v2' | 'v3' | null;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Status answered; 0 while the answer is pending (e.g. an injected delay). */
  status: number;
  at: number;
}

export interface CoinCapEmulator {
  /** Base URL of the current API, `http://127.0.0.1:PORT/v3` (COINCAP_API_URL). */
  url: string;
  /** Every request received, in arrival order. */
  requests: CoinCapRequest[];
  /** The next `times` requests whose path (after the version) starts with `pathPrefix` get this answer. */
  inject(fault: Fault): void;
  close(): Promise<void>;
}

// The body the retired v2 host answers since 2025 (samples/coincap_v2_deprecated_body.json).
const DEPRECATION_MESSAGE =
  'We are deprecating this version of the CoinCap API on March 31, 2025. Sign up for our new V3 API at https://pro.coincap.io/dashboard';

/** The key of a v3 call: the bearer token, else the `apiKey` query parameter. */
function keyOf(entry: CoinCapRequest): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(entry.headers.authorization ?? '')?.[1];
  return bearer ?? entry.query.apiKey;
}

/**
 * Starts a CoinCap API emulator on 127.0.0.1: `/v3` (key required when `apiKey` is set) and `/v2` (keyless, or
 * the deprecation notice), the `{data, timestamp}` envelope with numbers as strings, `limit` capped at 2000,
 * a rolling rate limit and injectable faults. Prices follow the CoinGecko emulator's within ±0.4 %.
 * Every answer carries `x-sandbox: synthetic`.
 * @example
 * const cc = await startCoinCapEmulator({ apiKey: 'k' });
 * await fetch(`${cc.url}/assets?limit=5`, { headers: { authorization: 'Bearer k' } });
 * await cc.close();
 */
export async function startCoinCapEmulator(opts: CoinCapEmulatorOptions = {}): Promise<CoinCapEmulator> {
  const now = opts.now ?? Date.now;
  const seed = opts.seed ?? DEFAULT_SEED;
  const catalog = createCatalog(opts.assetCount ?? 100);
  const limiter = createRateLimiter(opts.ratePerMin ?? Number.POSITIVE_INFINITY);
  const retryAfter = String(opts.retryAfterSeconds ?? 1);
  const faults = createFaultQueue();
  const moves = createMoves();
  const requests: CoinCapRequest[] = [];
  const delays = createDelays();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { url, fullPath } = requestTarget(req);
    const version = /^\/(v[23])\//.exec(fullPath)?.[1] as 'v2' | 'v3' | undefined;
    const entry: CoinCapRequest = {
      method: req.method ?? 'GET',
      version: version ?? null,
      path: version ? fullPath.slice(3) : fullPath,
      query: Object.fromEntries(url.searchParams),
      headers: flatHeaders(req.headers),
      status: 0,
      at: now(),
    };
    requests.push(entry);
    const { send, sendJson } = responder(res, entry);

    const fault = version ? faults.take(entry.path, entry.query) : undefined;
    if (fault?.delayMs) await delays.sleep(fault.delayMs);
    if (fault && (fault.status !== undefined || fault.body !== undefined)) {
      const status = fault.status ?? 500;
      const headers = { ...(status === 429 ? { 'retry-after': retryAfter } : {}), ...fault.headers };
      return send(status, fault.body ?? JSON.stringify({ error: `sandbox: injected ${status}` }), headers);
    }
    if (!version) return sendJson(404, { error: `Not found: ${fullPath}; the API lives under /v3` });
    if (req.method !== 'GET') return sendJson(405, { error: 'Method Not Allowed' });
    if (version === 'v2' && opts.deprecatedV2) {
      return sendJson(200, { data: { message: DEPRECATION_MESSAGE }, timestamp: entry.at });
    }
    const key = version === 'v3' ? keyOf(entry) : undefined;
    if (version === 'v3' && opts.apiKey !== undefined && key !== opts.apiKey) {
      return sendJson(401, { error: key ? 'Invalid API key' : 'Missing API key' });
    }
    if (!limiter.take(key ?? 'keyless', entry.at)) {
      return sendJson(429, { error: 'Too many requests' }, { 'retry-after': retryAfter });
    }
    const result = route(entry.path, entry.query, { nowMs: entry.at, seed, catalog, moves: moves.of(entry.path) });
    sendJson(result.status, result.body);
    moves.after(fault, entry.path);
  }

  const server = await startEmulatorServer({ port: opts.port, handle, onClose: delays.cancelAll });
  return {
    url: `${server.origin}/v3`,
    requests,
    inject: (fault) => faults.add(fault),
    close: server.close,
  };
}
