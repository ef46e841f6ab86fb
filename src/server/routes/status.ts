import type { FastifyPluginAsync } from 'fastify';
import { engineOf } from '../../db/engines.ts';
import { isSandboxData, nextRunOf, readStatus } from '../../pipeline/status.ts';
import type { ServerDeps } from '../deps.ts';
import { renderStatusPage } from '../statusPage.ts';

/** `/health`, `/api/status` (what the dashboard header needs) and the minimal status page at `/status`. */
export const statusRoutes: FastifyPluginAsync<ServerDeps> = async (server, { app, reader }) => {
  server.get(
    '/health',
    {
      schema: {
        tags: ['status'],
        summary: 'Liveness',
        response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } },
      },
    },
    async () => ({ ok: true }),
  );

  server.get(
    '/api/status',
    {
      schema: {
        tags: ['status'],
        summary: 'Whether the data is synthetic (sandbox), the engine and the executor',
        response: {
          200: {
            type: 'object',
            properties: {
              sandbox: { type: 'boolean', description: 'True when the built-in emulators filled the database' },
              engine: { type: 'string', enum: ['pglite', 'postgres', 'mysql'] },
              executor: { type: 'string', enum: ['inline', 'queue'] },
              vsCurrency: { type: 'string' },
              coins: { type: 'array', items: { type: 'string' } },
              triggers: { type: 'boolean', description: 'Whether POST /api/jobs/{name}/run is enabled (API_TOKEN)' },
            },
          },
        },
      },
    },
    async (_request, reply) => ({
      sandbox: await isSandboxData(reader(reply)),
      engine: engineOf(app.db).id,
      executor: app.executor.kind,
      vsCurrency: app.config.coingecko.vsCurrency,
      coins: app.config.coingecko.coins,
      triggers: app.config.apiToken !== undefined,
    }),
  );

  server.get('/status', { schema: { hide: true } }, async (_request, reply) => {
    const status = await readStatus(reader(reply));
    reply.type('text/html; charset=utf-8');
    return renderStatusPage({
      ...status,
      jobs: app.catalogue.map((j) => ({
        name: j.name,
        schedule: j.schedule,
        nextRun: app.executor.nextRun(j.name) ?? nextRunOf(j.schedule),
      })),
    });
  });
};
