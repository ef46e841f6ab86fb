import type { FastifyPluginAsync } from 'fastify';
import type { App } from '../../app.ts';
import { nextRunOf, readStatus } from '../../pipeline/status.ts';
import { renderStatusPage } from '../statusPage.ts';

/** `/health`, `/api/status` and the minimal status page at `/status`. */
export const statusRoutes: FastifyPluginAsync<{ app: App }> = async (server, { app }) => {
  server.get('/health', async () => ({ ok: true }));

  server.get('/api/status', async () => {
    const status = await readStatus(app.db);
    const jobs = app.catalogue.map((job) => ({
      name: job.name,
      description: job.description,
      schedule: job.schedule,
      nextRun: app.executor.nextRun(job.name) ?? nextRunOf(job.schedule),
    }));
    return { ...status, jobs };
  });

  server.get('/status', async (_request, reply) => {
    const status = await readStatus(app.db);
    reply.type('text/html; charset=utf-8');
    return renderStatusPage({
      ...status,
      jobs: app.catalogue.map((j) => ({ name: j.name, schedule: j.schedule, nextRun: app.executor.nextRun(j.name) })),
    });
  });
};
