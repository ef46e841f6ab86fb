import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { App } from '../app.ts';
import type { ServerDeps } from './deps.ts';
import { createErrorHandler } from './errorHandler.ts';
import { openApiOptions } from './openApi.ts';
import { refuseNonFiniteNumbers } from './params.ts';
import { registerRateLimit } from './rateLimit.ts';
import { openReadOnlyDb } from './readOnlyDb.ts';
import { createRelationReader } from './relations.ts';
import { bindRequestSignal } from './requestSignal.ts';
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
 * The HTTP server: the API (OpenAPI at /docs), the dashboard at `/`, `/metrics`. Each route group is a
 * plugin; API routes read through the read-only role; one error handler maps `EtlError.code` to a status.
 */
export async function createServer(app: App): Promise<FastifyInstance> {
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
  const deps: ServerDeps = { app, db: reader.db, relations: createRelationReader(reader.db) };

  await registerSecurityHeaders(server);
  await registerRateLimit(server, api);
  bindRequestSignal(server);
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
