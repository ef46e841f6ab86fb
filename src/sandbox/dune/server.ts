import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_SEED } from '../coingecko/prices.ts';
import { createRateLimiter } from '../coingecko/rateLimit.ts';
import { flatHeaders, requestTarget, startEmulatorServer } from '../http/emulatorServer.ts';
import { responder } from '../http/respond.ts';
import type { OnChainTrade } from './cowTrades.ts';
import type { ScriptedOutcome } from './executions.ts';
import type { StaticResult } from './queries.ts';
import { bucketOf, route } from './routes.ts';
import { createStore, PREDEFINED, type QuerySpec } from './store.ts';

export interface DuneEmulatorOptions {
  /** Port on 127.0.0.1; default 0 = a free one. */
  port?: number;
  /** The one API key accepted (header `x-dune-api-key` or `?api_key=`); default `sandbox-key`. */
  apiKey?: string;
  /** How long an execution stays PENDING, then EXECUTING; defaults 300 and 700 ms. */
  pendingMs?: number;
  executingMs?: number;
  /** Seed of the synthetic prices and trades; default 42, as the CoinGecko emulator. */
  seed?: number;
  /** Clock in ms; default Date.now. */
  now?: () => number;
  /** Synthetic CoW trades per day; default 48. */
  cowTradesPerDay?: number;
  /** The trades the sandbox chain emitted as `Trade` events, by order uid: served with its tx hashes and blocks. */
  cowOnChain?: ReadonlyMap<string, OnChainTrade>;
  /** `free` refuses query management (403); default `paid`. */
  plan?: 'free' | 'paid';
  /** Credits of the billing cycle (10 per execution) before 402; default unlimited. */
  credits?: number;
  /** Calls per rolling minute of the write/execute ("low") and read ("high") endpoints; default unlimited. */
  lowRatePerMin?: number;
  highRatePerMin?: number;
  /** `retry-after` of a 429, seconds (fractions allowed); default 1. */
  retryAfterSeconds?: number;
}

/** An answer forced on the next `times` requests whose path (after /api/v1) starts with `pathPrefix`. */
export interface DuneFault {
  pathPrefix: string;
  method?: string;
  /** Only requests whose query string has these values, e.g. `{ offset: '10' }` for the second page. */
  query?: Record<string, string>;
  times?: number;
  /** Default 500; a 429 gets the rate-limit body and `retry-after` unless `body` / `headers` say otherwise. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One logged request; `path` is the part after `/api/v1`. */
export interface DuneRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  status: number;
  at: number;
}

export interface DuneEmulator {
  /** Base URL including `/api/v1`: the value of `DUNE_API_URL`. */
  url: string;
  apiKey: string;
  /** Every request received, in arrival order. */
  requests: DuneRequest[];
  /** Ids of the queries it starts with: the repo's CoW init and update queries. */
  queries: typeof PREDEFINED;
  inject(fault: DuneFault): void;
  /** The next execution (of `queryId`, or any) ends this way instead of COMPLETED. */
  script(outcome: ScriptedOutcome): void;
  /** Adds a query with a fixed result (already run once, for `latest` mode); returns its id. */
  defineQuery(spec: QuerySpec): number;
  /** Changes the fixed result later runs of a query return. */
  setResult(queryId: number, result: StaticResult): void;
  close(): Promise<void>;
}

const BASE = '/api/v1';
const DUNE_JSON_TYPE = 'application/json';
const RATE_LIMITED = { error: 'Too many requests: rate limit exceeded for this API key, try again later' };

async function readBody(req: IncomingMessage): Promise<{ ok: true; body: unknown } | { ok: false }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return { ok: true, body: undefined };
  try {
    return { ok: true, body: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Starts a Dune API v1 emulator on 127.0.0.1 with the real wire format: executions that go PENDING → EXECUTING →
 * COMPLETED over a configurable delay (or FAILED / CANCELLED / EXPIRED when scripted), paginated results with
 * `next_offset` / `next_uri`, latest results, query management, key checks, credits, rate limits (429 with
 * `retry-after`), injectable faults and a request log. It serves synthetic WETH–USDC CoW trades priced like the
 * CoinGecko emulator (same seed). Every answer carries `x-sandbox: synthetic`.
 * @example
 * const dune = await startDuneEmulator({ pendingMs: 0, executingMs: 100 });
 * // DUNE_API_URL=dune.url DUNE_API_KEY=dune.apiKey DUNE_UPDATE_QUERY_ID=dune.queries.cowUpdate
 */
export async function startDuneEmulator(opts: DuneEmulatorOptions = {}): Promise<DuneEmulator> {
  const now = opts.now ?? Date.now;
  const apiKey = opts.apiKey ?? 'sandbox-key';
  const retryAfter = String(opts.retryAfterSeconds ?? 1);
  const store = createStore({
    now,
    seed: opts.seed ?? DEFAULT_SEED,
    cowTradesPerDay: opts.cowTradesPerDay ?? 48,
    cowOnChain: opts.cowOnChain,
    pendingMs: opts.pendingMs ?? 300,
    executingMs: opts.executingMs ?? 700,
  });
  const limiters = {
    low: createRateLimiter(opts.lowRatePerMin ?? Number.POSITIVE_INFINITY),
    high: createRateLimiter(opts.highRatePerMin ?? Number.POSITIVE_INFINITY),
  };
  const credits = { left: opts.credits ?? Number.POSITIVE_INFINITY };
  const faults: Array<DuneFault & { left: number }> = [];
  const requests: DuneRequest[] = [];
  let baseUrl = '';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { url, fullPath } = requestTarget(req);
    const path = fullPath.startsWith(`${BASE}/`) ? fullPath.slice(BASE.length) : fullPath;
    const method = req.method ?? 'GET';
    const parsed = await readBody(req);
    const entry: DuneRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers: flatHeaders(req.headers),
      body: parsed.ok ? parsed.body : undefined,
      status: 0,
      at: now(),
    };
    requests.push(entry);
    const { sendJson } = responder(res, entry, { contentType: DUNE_JSON_TYPE });

    const faultIndex = faults.findIndex(
      (f) =>
        path.startsWith(f.pathPrefix) &&
        (!f.method || f.method === method) &&
        Object.entries(f.query ?? {}).every(([k, v]) => entry.query[k] === v),
    );
    const fault = faults[faultIndex];
    if (fault) {
      if (--fault.left <= 0) faults.splice(faultIndex, 1);
      const status = fault.status ?? 500;
      const rateHeaders: Record<string, string> = status === 429 ? { 'retry-after': retryAfter } : {};
      const body = fault.body ?? (status === 429 ? RATE_LIMITED : { error: `sandbox: injected ${status}` });
      return sendJson(status, body, { ...rateHeaders, ...fault.headers });
    }
    if (fullPath === path) return sendJson(404, { error: `not found: the API lives under ${BASE}` });
    if (!parsed.ok) return sendJson(400, { error: 'invalid JSON body' });
    const key = req.headers['x-dune-api-key'] ?? url.searchParams.get('api_key') ?? undefined;
    if (key !== apiKey) return sendJson(401, { error: 'invalid API Key' });
    if (!limiters[bucketOf(method, path)].take(key, entry.at)) {
      return sendJson(429, RATE_LIMITED, { 'retry-after': retryAfter });
    }
    const result = route(method, path, entry.query, entry.body, {
      store,
      nowMs: entry.at,
      baseUrl,
      plan: opts.plan ?? 'paid',
      credits,
    });
    return sendJson(result.status, result.body);
  }

  const server = await startEmulatorServer({ port: opts.port, contentType: DUNE_JSON_TYPE, handle });
  baseUrl = `${server.origin}${BASE}`;

  return {
    url: baseUrl,
    apiKey,
    requests,
    queries: PREDEFINED,
    inject: (fault) => void faults.push({ ...fault, left: fault.times ?? 1 }),
    script: (outcome) => store.script(outcome),
    defineQuery: (spec) => store.define(spec).query_id,
    setResult: (queryId, result) => store.setResult(queryId, result),
    close: server.close,
  };
}
