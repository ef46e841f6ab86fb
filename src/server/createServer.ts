import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import type { App } from '../app.ts';
import { watchClient } from './clientWatch.ts';
import { createDataVersion } from './dataVersion.ts';
import type { ServerDeps } from './deps.ts';
import { createErrorHandler } from './errorHandler.ts';
import { openApiOptions } from './openApi.ts';
import { refuseNonFiniteNumbers } from './params.ts';
import { registerRateLimit } from './rateLimit.ts';
import { openReadOnlyDb } from './readOnlyDb.ts';
import { createRelationReader } from './relations.ts';
import { registerResponseCache } from './responseCache.ts';
import { jobRoutes } from './routes/jobs.ts';
import { marketRoutes } from './routes/market.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { onchainRoutes } from './routes/onchain.ts';
import { pipelineRoutes } from './routes/pipeline.ts';
import { priceRoutes } from './routes/prices.ts';
import { statusRoutes } from './routes/status.ts';
import { webRoutes } from './routes/web.ts';
import { registerSecurityHeaders } from './securityHeaders.ts';

/**
 * How long a data version read from the database is trusted: the most by which an answer may lag a commit made
 * by another process (this process's own commits count at once). At most two small reads a second per server.
 */
export const VERSION_CHECK_MS = 1_000;
/** Answers of the cached endpoints a client or proxy may reuse without asking: as long as the server itself may lag. */
const MAX_AGE_SECONDS = VERSION_CHECK_MS / 1000;
/** Bodies the answer cache keeps at most (the least recently used are dropped first). */
const CACHE_BYTES = 64 * 1024 * 1024;
/** The longest an answer is kept when no load says otherwise: bounds changes that move no watermark (a migration). */
export const CACHE_LIFETIME_MS = 60_000;

export interface CreateServerOptions {
  /** Monotonic milliseconds for the answer cache and the data version's checks; tests pass their own. */
  now?: () => number;
}

/**
 * The HTTP server: the API (OpenAPI at /docs), the dashboard at `/`, `/metrics`. Each route group is a
 * plugin; API routes read through the read-only role; one error handler maps `EtlError.code` to a status.
 */
export async function createServer(app: App, options: CreateServerOptions = {}): Promise<FastifyInstance> {
  const { api } = app.config;
  const server = Fastify({
    logger: false,
    // removeAdditional off: an unknown query parameter is a 400 naming it, not silently ignored.
    ajv: { customOptions: { removeAdditional: false } },
    // A client gets API_REQUEST_TIMEOUT_MS to send its whole request: one that trickles its headers or body
    // (1 byte every 5 s) is answered 408 and closed instead of holding a socket for ever. Node checks every
    // connectionsCheckingInterval, so the bound is the timeout plus at most a second. NOTE: given to
    // http.createServer too: set only afterwards (Fastify's own option), Node never times out a slow body.
    requestTimeout: api.requestTimeoutMs,
    http: {
      requestTimeout: api.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, api.requestTimeoutMs),
    },
    trustProxy: api.trustProxy,
  });
  const reader = await openReadOnlyDb(app.config, app.db);
  app.log.info({ reads: reader.mode }, 'API reads confined to the read-only role');
  server.addHook('onClose', () => reader.db.close());
  server.setErrorHandler(createErrorHandler(app.log));
  const deps: ServerDeps = {
    app,
    db: reader.db,
    reader: (reply) => reader.forClient(watchClient(reply)),
    relations: createRelationReader(reader.db),
  };

  await registerSecurityHeaders(server);
  await registerRateLimit(server, api);
  registerResponseCache(server, {
    version: createDataVersion({
      db: reader.db,
      localCommits: app.commits,
      checkEveryMs: VERSION_CHECK_MS,
      now: options.now,
    }),
    maxAgeSeconds: MAX_AGE_SECONDS,
    maxBytes: CACHE_BYTES,
    maxLifetimeMs: CACHE_LIFETIME_MS,
    now: options.now,
    counter: cacheCounter(app),
  });
  refuseNonFiniteNumbers(server);
  await server.register(swagger, openApiOptions);
  await server.register(swaggerUi, { routePrefix: '/docs' });
  await server.register(statusRoutes, deps);
  await server.register(metricsRoutes, deps);
  await server.register(marketRoutes, deps);
  await server.register(priceRoutes, deps);
  await server.register(onchainRoutes, deps);
  await server.register(pipelineRoutes, deps);
  await server.register(jobRoutes, deps);
  await server.register((await import('./routes/queues.ts')).queueRoutes, deps);
  await server.register(webRoutes);
  return server;
}

const CACHE_METRIC = 'crypto_etl_api_cache_requests_total';

/** Answers of the cached endpoints by how they were made; one counter per registry, however many servers. */
function cacheCounter(app: App): Counter<'result'> {
  const { registry } = app.metrics;
  return (
    (registry.getSingleMetric(CACHE_METRIC) as Counter<'result'> | undefined) ??
    new Counter({
      name: CACHE_METRIC,
      help: 'Answers of the cached API endpoints: hit (from the cache), shared (the same request in flight), miss',
      labelNames: ['result'],
      registers: [registry],
    })
  );
}
