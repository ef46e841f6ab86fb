import type { IncomingMessage, ServerResponse } from 'node:http';
import { createDelays } from '../http/delays.ts';
import { flatHeaders, requestTarget, startEmulatorServer } from '../http/emulatorServer.ts';
import { responder } from '../http/respond.ts';
import { authorize, type Plan, statusBody } from './auth.ts';
import { createCatalog } from './coins.ts';
import { createFaultQueue, createMoves, type Fault } from './faults.ts';
import { DEFAULT_SEED } from './prices.ts';
import { createRateLimiter } from './rateLimit.ts';
import { route } from './routes.ts';

export interface CoinGeckoEmulatorOptions {
  /** Port on 127.0.0.1; default 0 = a free one. */
  port?: number;
  /** Coins served by /coins/list and /coins/markets; default 800 (4 market pages of 250, the last one short). */
  coinCount?: number;
  /** Calls per rolling 60 s per key (or keyless) before answering 429; default Infinity. */
  ratePerMin?: number;
  /** `retry-after` header on 429, seconds; default 1. */
  retryAfterSeconds?: number;
  /** When set, every request must carry this key for `plan`, else 401; when unset, keyless calls are fine. */
  apiKey?: string;
  /** Host the emulator stands for: a key of the other plan gets 401 (10010 / 10011); default 'demo'. */
  plan?: Plan;
  /** Seed of the synthetic prices; default 42. */
  seed?: number;
  /** Clock in ms; default Date.now. */
  now?: () => number;
}

/** One logged request; `path` is the part after `/api/v3` (the full path for anything outside it). */
export interface EmulatorRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Status answered; 0 while the answer is pending (e.g. an injected delay). */
  status: number;
  /** `now()` when the request arrived. */
  at: number;
}

export interface CoinGeckoEmulator {
  /** Base URL including `/api/v3`, e.g. `http://127.0.0.1:PORT/api/v3`. */
  url: string;
  /** Every request received, in arrival order. */
  requests: EmulatorRequest[];
  /** Inject faults: the next `times` requests whose path matches `pathPrefix` (after /api/v3) get this answer. */
  inject(fault: Fault): void;
  close(): Promise<void>;
}

const BASE = '/api/v3';
const RATE_LIMITED = statusBody(
  429,
  "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits.",
);

function lowerKeys(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
}

function looksLikeJson(body: string): boolean {
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a CoinGecko API v3 emulator on 127.0.0.1 serving synthetic, deterministic data (see prices.ts) with the
 * real wire format, key checks, a rolling rate limit and injectable faults. Every answer carries
 * `x-sandbox: synthetic`.
 * @example
 * const cg = await startCoinGeckoEmulator({ apiKey: 'k', ratePerMin: 30 });
 * await fetch(`${cg.url}/coins/markets?vs_currency=usd`, { headers: { 'x-cg-demo-api-key': 'k' } });
 * await cg.close();
 */
export async function startCoinGeckoEmulator(opts: CoinGeckoEmulatorOptions = {}): Promise<CoinGeckoEmulator> {
  const now = opts.now ?? Date.now;
  const plan = opts.plan ?? 'demo';
  const seed = opts.seed ?? DEFAULT_SEED;
  const retryAfter = String(opts.retryAfterSeconds ?? 1);
  const catalog = createCatalog(opts.coinCount ?? 800);
  const limiter = createRateLimiter(opts.ratePerMin ?? Number.POSITIVE_INFINITY);
  const faults = createFaultQueue();
  const moves = createMoves();
  const requests: EmulatorRequest[] = [];
  const delays = createDelays();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { url, fullPath } = requestTarget(req);
    const underApi = fullPath.startsWith(`${BASE}/`);
    const path = underApi ? fullPath.slice(BASE.length) : fullPath;
    const query = Object.fromEntries(url.searchParams);
    const entry: EmulatorRequest = {
      method: req.method ?? 'GET',
      path,
      query,
      headers: flatHeaders(req.headers),
      status: 0,
      at: now(),
    };
    requests.push(entry);

    const fault = underApi ? faults.take(path, query) : undefined;
    const { send, sendJson } = responder(res, entry, { forced: lowerKeys(fault?.headers) });

    if (fault?.delayMs) await delays.sleep(fault.delayMs);
    if (fault && (fault.status !== undefined || fault.body !== undefined)) {
      const status = fault.status ?? 500;
      if (fault.body === undefined && status === 429) return sendJson(429, RATE_LIMITED, { 'retry-after': retryAfter });
      const body = fault.body ?? JSON.stringify({ error: `sandbox: injected ${status}` });
      return send(status, body, looksLikeJson(body) ? {} : { 'content-type': 'text/html; charset=utf-8' });
    }
    if (!underApi) return sendJson(404, { error: `Incorrect path ${fullPath}: the API lives under ${BASE}` });
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(405, { error: 'Method Not Allowed' });

    const auth = authorize(entry, plan, opts.apiKey);
    if (!auth.ok) return sendJson(401, auth.body);
    if (!limiter.take(auth.bucket, entry.at)) return sendJson(429, RATE_LIMITED, { 'retry-after': retryAfter });
    const result = route(path, query, { nowMs: entry.at, seed, catalog, moves: moves.of(path) });
    sendJson(result.status, result.body);
    moves.after(fault, path);
  }

  const server = await startEmulatorServer({ port: opts.port, handle, onClose: delays.cancelAll });

  return {
    url: `${server.origin}${BASE}`,
    requests,
    inject: (fault) => faults.add(fault),
    close: server.close,
  };
}
