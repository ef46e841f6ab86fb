import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Counter } from 'prom-client';
import type { DataVersion } from './dataVersion.ts';

/**
 * The endpoints whose answer is a function of the URL and the committed data alone: the warehouse and staging
 * relations the loads and rollup refreshes write, each commit with a watermark (see dataVersion.ts). Runs, jobs,
 * watermarks, quality results and drift change without one (heartbeats, checks) and are never cached.
 */
const CACHED_PREFIXES = ['/api/prices', '/api/market', '/api/coins', '/api/cow/', '/api/chain/'];

/** Headers of a handler's answer that belong to its body (the rest is set afresh for every request). */
const BODY_HEADERS = ['content-type', 'content-disposition', 'x-next-offset'] as const;

export interface ResponseCacheOptions {
  version: DataVersion;
  /** `Cache-Control: max-age` of the cached endpoints, seconds. */
  maxAgeSeconds: number;
  /** Bytes of bodies kept at most; the least recently used go first. */
  maxBytes: number;
  /**
   * How long an answer is kept even when the version stays: the bound for changes made outside loads and
   * refreshes (a migration or model change, a hand edit), which move no watermark.
   */
  maxLifetimeMs: number;
  /** Monotonic milliseconds (the data version's clock). */
  now?: () => number;
  /** Counts answers by `result`: `hit` (from the cache), `shared` (waited for the same request in flight), `miss`. */
  counter?: Counter<'result'>;
}

interface Entry {
  storedAt: number;
  body: Buffer;
  etag: string;
  headers: [string, string][];
}

/** A request that computes an answer others may be waiting for. */
interface Ticket {
  key: string;
  /** The data version the answer is computed under; undefined when it could not be read (never kept). */
  version: string | undefined;
  /** When its computation began: the age of the answer. */
  startedAt: number;
  settle(entry: Entry | undefined): void;
}

/**
 * A strong validator from the bytes of the answer: equal bodies, equal tags, whichever process made them. SHA-1
 * (27 characters): a tag needs no collision resistance against an attacker, and it is the fastest digest here.
 */
const etagOf = (body: Buffer) => `"${createHash('sha1').update(body).digest('base64url')}"`;

/** RFC 9110 §13.1.2: `If-None-Match` matches when it lists the tag (weakly compared) or is `*`. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return (t.startsWith('W/') ? t.slice(2) : t) === etag;
  });
}

/**
 * ETag and `If-None-Match` → 304 on every GET of the API, `Cache-Control` on each (`public, max-age` where the
 * answer follows the data version, `no-cache` elsewhere), and an in-process cache of the answers of the
 * {@link CACHED_PREFIXES} endpoints keyed by URL and data version: an unchanged answer is not computed again, and
 * identical requests arriving together make one query. Hooks are added per route, so other routes pay nothing.
 * Register before the routes.
 */
export function registerResponseCache(server: FastifyInstance, options: ResponseCacheOptions): void {
  const { version, counter } = options;
  const now = options.now ?? (() => performance.now());
  const publicControl = `public, max-age=${options.maxAgeSeconds}`;
  const store = new Map<string, Entry>();
  let storeVersion = '';
  let storedBytes = 0;
  const inFlight = new Map<string, Promise<Entry | undefined>>();
  const tickets = new WeakMap<FastifyRequest, Ticket>();

  function remember(key: string, entry: Entry): void {
    const old = store.get(key);
    if (old) storedBytes -= old.body.length;
    store.delete(key);
    if (entry.body.length > options.maxBytes / 4) return;
    store.set(key, entry);
    storedBytes += entry.body.length;
    // A Map iterates in insertion order and a hit re-inserts its entry: the first keys are the least recent.
    for (const [oldest, e] of store) {
      if (storedBytes <= options.maxBytes) break;
      store.delete(oldest);
      storedBytes -= e.body.length;
    }
  }

  function lookup(key: string): Entry | undefined {
    const entry = store.get(key);
    if (entry && now() - entry.storedAt >= options.maxLifetimeMs) {
      store.delete(key);
      storedBytes -= entry.body.length;
      return undefined;
    }
    if (entry) {
      store.delete(key);
      store.set(key, entry);
    }
    return entry;
  }

  function send(request: FastifyRequest, reply: FastifyReply, entry: Entry): FastifyReply {
    reply.header('etag', entry.etag).header('cache-control', publicControl);
    if (matches(request.headers['if-none-match'], entry.etag)) return reply.code(304).send();
    for (const [name, value] of entry.headers) reply.header(name, value);
    return reply.send(entry.body);
  }

  async function fromCache(request: FastifyRequest, reply: FastifyReply) {
    let current: string;
    try {
      current = await version.current();
    } catch {
      // The version cannot be read (the database is away): answered uncached; the handler says what is wrong.
      return computes(request, request.url, undefined);
    }
    if (current !== storeVersion) {
      store.clear();
      storedBytes = 0;
      storeVersion = current;
    }
    const key = request.url;
    const entry = lookup(key);
    if (entry) {
      counter?.inc({ result: 'hit' });
      return send(request, reply, entry);
    }
    // Identical requests share an answer only when made under the same version.
    const pending = inFlight.get(`${current} ${key}`);
    if (pending) {
      const shared = await pending;
      if (shared) {
        counter?.inc({ result: 'shared' });
        return send(request, reply, shared);
      }
    }
    counter?.inc({ result: 'miss' });
    computes(request, key, current);
  }

  /**
   * The handler runs for this request; the first of identical requests in flight is the one the others wait for
   * (one that still finds another in flight after waiting, because the first failed, waits for nobody).
   */
  function computes(request: FastifyRequest, key: string, current: string | undefined): void {
    let resolve: ((entry: Entry | undefined) => void) | undefined;
    const flight = `${current} ${key}`;
    if (current !== undefined && !inFlight.has(flight)) {
      inFlight.set(
        flight,
        new Promise<Entry | undefined>((r) => {
          resolve = r;
        }),
      );
    }
    tickets.set(request, {
      key,
      version: current,
      startedAt: now(),
      settle(entry) {
        if (!resolve) return;
        const r = resolve;
        resolve = undefined;
        inFlight.delete(flight);
        r(entry);
      },
    });
  }

  /** The answer as bytes with its tag; a 304 instead when the client holds it already. */
  function tag(request: FastifyRequest, reply: FastifyReply, payload: unknown, control: string) {
    if (reply.statusCode !== 200 || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) return undefined;
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const etag = etagOf(body);
    reply.header('etag', etag).header('cache-control', control);
    return { body, etag, notModified: matches(request.headers['if-none-match'], etag) };
  }

  async function storeAnswer(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const ticket = tickets.get(request);
    // Answered from the cache: its headers are set already.
    if (!ticket) return payload;
    tickets.delete(request);
    const tagged = tag(request, reply, payload, publicControl);
    if (!tagged) {
      ticket.settle(undefined);
      return payload;
    }
    const headers: [string, string][] = [];
    for (const name of BODY_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers.push([name, String(value)]);
    }
    const entry = { storedAt: ticket.startedAt, body: tagged.body, etag: tagged.etag, headers };
    // Computed under an older version than the one now current: newer data may exist, so it is not kept.
    if (ticket.version === storeVersion) remember(ticket.key, entry);
    ticket.settle(entry);
    if (tagged.notModified) {
      reply.code(304);
      return null;
    }
    return tagged.body;
  }

  async function tagOnly(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const tagged = tag(request, reply, payload, 'no-cache');
    if (!tagged) return payload;
    if (tagged.notModified) {
      reply.code(304);
      return null;
    }
    return tagged.body;
  }

  /** A request that ends without an answer (its client gone) lets those waiting for it compute their own. */
  const release = (request: FastifyRequest) => tickets.get(request)?.settle(undefined);

  server.addHook('onRoute', (route: RouteOptions) => {
    // HEAD too: Fastify's own HEAD route of each GET runs the same handler, and must answer the same headers.
    if ((route.method !== 'GET' && route.method !== 'HEAD') || !route.url?.startsWith('/api/')) return;
    const cached = CACHED_PREFIXES.some((prefix) => route.url?.startsWith(prefix));
    if (cached) {
      route.onRequest = [...hooksOf(route.onRequest), fromCache];
      route.onResponse = [...hooksOf(route.onResponse), async (request) => release(request)];
      route.onRequestAbort = [...hooksOf(route.onRequestAbort), async (request) => release(request)];
    }
    // First of the route's own: Fastify's HEAD routes end their list with a hook that drops the body.
    route.onSend = [cached ? storeAnswer : tagOnly, ...hooksOf(route.onSend)];
  });
}

// biome-ignore lint/suspicious/noExplicitAny: a route's hook option is one hook or a list of hooks of any kind.
function hooksOf(hooks: any): any[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}
