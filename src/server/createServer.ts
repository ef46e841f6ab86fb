import Fastify, { type FastifyInstance } from 'fastify';
import type { App } from '../app.ts';
import { isEtlError } from '../internal/errors.ts';
import { statusRoutes } from './routes/status.ts';

/** The HTTP server: each route group is a plugin; one error handler maps `EtlError.code` to a status. */
export async function createServer(app: App): Promise<FastifyInstance> {
  const server = Fastify({ logger: false });
  server.setErrorHandler((error, _request, reply) => {
    if (isEtlError(error)) {
      const status = error.code === 'ETL_JOB_UNKNOWN' ? 404 : error.code === 'ETL_JOB_ALREADY_RUNNING' ? 409 : 500;
      return reply.status(status).send({ error: error.code, message: error.message });
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) app.log.error({ err: error }, 'request failed');
    return reply.status(status).send({ error: 'ERROR', message: (error as Error).message });
  });
  await server.register(statusRoutes, { app });
  return server;
}
