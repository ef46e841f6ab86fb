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

/** The requests waiting for an answer another request of the same URL is computing. */
interface Flight {
  waiting: ((entry: Entry | undefined) => void)[] | undefined;
}

/** A request that computes an answer others may be waiting for. */
interface Ticket {
  key: string;
  /** The data version the answer is computed under; undefined when it could not be read (never kept). */
  version: string | undefined;
  /** When its computation began: the age of the answer. */
  startedAt: number;
  /** Whether other requests wait for this one's answer. */
  awaited(): boolean;
  settle(entry: Entry | undefined): void;
}

/**
 * How many URLs answered once the doorkeeper remembers (then it starts over): an answer is kept from the second
 * time its URL is computed, so that a stream of one-off requests (a random coin and week each) does not churn
 * the cache, each answer stored only to be dropped unused (bench/api's random mix: storing every miss cost the
 * server's garbage collector about as much as the answer's digest, ~20 µs a request).
 */
const DOORKEEPER_URLS = 16_384;

/** A 30-bit FNV-1a hash of a URL: what the doorkeeper remembers of it (a collision only admits an answer early). */
function urlHash(url: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < url.length; i++) h = Math.imul(h ^ url.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
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
 * {@link CACHED_PREFIXES} endpoints keyed by URL and data version: an answer asked again is not computed again
 * (kept from its second computation, see {@link DOORKEEPER_URLS}), and identical requests arriving together make
 * one query. Hooks are added per route, so other routes pay nothing; they take Fastify's callback form and read
 * the version without a promise when it is known, since every promise of a request costs the server (bench/api).
 * Register before the routes.
 */
export function registerResponseCache(server: FastifyInstance, options: ResponseCacheOptions): void {
  const { version, counter } = options;
  const now = options.now ?? (() => performance.now());
  const publicControl = `public, max-age=${options.maxAgeSeconds}`;
  const store = new Map<string, Entry>();
  let storeVersion = '';
  let storedBytes = 0;
  /** The answers being computed under `storeVersion`, by URL: identical requests share one only under one version. */
  let flights = new Map<string, Flight>();
  const seenOnce = new Set<number>();
  const tickets = new WeakMap<FastifyRequest, Ticket>();

  /** Whether an answer computed for `key` is kept: the second time its URL is computed within the doorkeeper's memory. */
  function admit(key: string): boolean {
    const hash = urlHash(key);
    if (seenOnce.delete(hash)) return true;
    if (seenOnce.size >= DOORKEEPER_URLS) seenOnce.clear();
    seenOnce.add(hash);
    return false;
  }

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

  function send(request: FastifyRequest, reply: FastifyReply, entry: Entry): void {
    reply.header('etag', entry.etag).header('cache-control', publicControl);
    if (matches(request.headers['if-none-match'], entry.etag)) {
      reply.code(304).send();
      return;
    }
    for (const [name, value] of entry.headers) reply.header(name, value);
    reply.send(entry.body);
  }

  /** The answer from the cache, or the one in flight for the same request, or the handler's (`done`). */
  function fromCache(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    const current = version.known();
    if (current !== undefined) {
      answer(request, reply, current, done);
      return;
    }
    version.current().then(
      (read) => answer(request, reply, read, done),
      () => {
        // The version cannot be read (the database is away): answered uncached; the handler says what is wrong.
        computes(request, reply, request.url, undefined);
        done();
      },
    );
  }

  function answer(request: FastifyRequest, reply: FastifyReply, current: string, done: () => void): void {
    if (current !== storeVersion) {
      store.clear();
      storedBytes = 0;
      storeVersion = current;
      flights = new Map();
    }
    const key = request.url;
    const entry = lookup(key);
    if (entry) {
      counter?.inc({ result: 'hit' });
      send(request, reply, entry);
      return;
    }
    const flight = flights.get(key);
    if (!flight) {
      counter?.inc({ result: 'miss' });
      computes(request, reply, key, current);
      done();
      return;
    }
    flight.waiting ??= [];
    flight.waiting.push((shared) => {
      if (shared) {
        counter?.inc({ result: 'shared' });
        send(request, reply, shared);
        return;
      }
      counter?.inc({ result: 'miss' });
      computes(request, reply, key, current);
      done();
    });
  }

  /**
   * The handler runs for this request; the first of identical requests in flight is the one the others wait for
   * (one that still finds another in flight after waiting, because the first failed, waits for nobody). Should
   * its client go away before the answer, those waiting compute their own.
   */
  function computes(request: FastifyRequest, reply: FastifyReply, key: string, current: string | undefined): void {
    let flight: Flight | undefined;
    const of = flights;
    if (current !== undefined && current === storeVersion && !of.has(key)) {
      flight = { waiting: undefined };
      of.set(key, flight);
    }
    const ticket: Ticket = {
      key,
      version: current,
      startedAt: now(),
      awaited: () => flight?.waiting !== undefined,
      settle(entry) {
        if (!flight) return;
        const { waiting } = flight;
        if (of.get(key) === flight) of.delete(key);
        flight = undefined;
        for (const resume of waiting ?? []) resume(entry);
      },
    };
    tickets.set(request, ticket);
    // Closed before the answer was made (the client went away): nothing to share. After it, a no-op.
    if (flight) reply.raw.once('close', () => ticket.settle(undefined));
  }

  /** The answer as bytes with its tag; a 304 instead when the client holds it already. */
  function tag(request: FastifyRequest, reply: FastifyReply, payload: unknown, control: string) {
    if (reply.statusCode !== 200 || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) return undefined;
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const etag = etagOf(body);
    reply.header('etag', etag).header('cache-control', control);
    return { body, etag, notModified: matches(request.headers['if-none-match'], etag) };
  }

  type OnSendDone = (error: Error | null, payload?: unknown) => void;

  /** The body to send: tagged, kept when admitted, handed to the requests waiting for it. */
  function answered(request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
    const ticket = tickets.get(request);
    // Answered from the cache: its headers are set already.
    if (!ticket) return payload;
    tickets.delete(request);
    const tagged = tag(request, reply, payload, publicControl);
    if (!tagged) {
      ticket.settle(undefined);
      return payload;
    }
    // Computed under an older version than the one now current: newer data may exist, so it is not kept.
    const keep = ticket.version === storeVersion && admit(ticket.key);
    if (keep || ticket.awaited()) {
      const headers: [string, string][] = [];
      for (const name of BODY_HEADERS) {
        const value = reply.getHeader(name);
        if (value !== undefined) headers.push([name, String(value)]);
      }
      const entry = { storedAt: ticket.startedAt, body: tagged.body, etag: tagged.etag, headers };
      if (keep) remember(ticket.key, entry);
      ticket.settle(entry);
    } else {
      ticket.settle(undefined);
    }
    return notModified(reply, tagged);
  }

  /** null with a 304 when the client holds the answer already, else its bytes. */
  function notModified(reply: FastifyReply, tagged: { body: Buffer; notModified: boolean }): Buffer | null {
    if (!tagged.notModified) return tagged.body;
    reply.code(304);
    return null;
  }

  const storeAnswer = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: OnSendDone) =>
    done(null, answered(request, reply, payload));

  const tagOnly = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: OnSendDone) => {
    const tagged = tag(request, reply, payload, 'no-cache');
    done(null, tagged ? notModified(reply, tagged) : payload);
  };

  server.addHook('onRoute', (route: RouteOptions) => {
    // HEAD too: Fastify's own HEAD route of each GET runs the same handler, and must answer the same headers.
    if ((route.method !== 'GET' && route.method !== 'HEAD') || !route.url?.startsWith('/api/')) return;
    const cached = CACHED_PREFIXES.some((prefix) => route.url?.startsWith(prefix));
    if (cached) route.onRequest = [...hooksOf(route.onRequest), fromCache];
    // First of the route's own: Fastify's HEAD routes end their list with a hook that drops the body.
    route.onSend = [cached ? storeAnswer : tagOnly, ...hooksOf(route.onSend)];
  });
}

// biome-ignore lint/suspicious/noExplicitAny: a route's hook option is one hook or a list of hooks of any kind.
function hooksOf(hooks: any): any[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}
