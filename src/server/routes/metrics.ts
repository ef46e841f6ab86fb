import { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import { QUEUE_NAME, redisConnection } from '../../jobs/queueConnection.ts';
import type { ServerDeps } from '../deps.ts';

/**
 * `/metrics` for Prometheus: this process's counters, the run counts every process recorded, and the depth
 * of the job queue when jobs run on BullMQ (REDIS_URL).
 */
export const metricsRoutes: FastifyPluginAsync<ServerDeps> = async (server, { app, db }) => {
  const { registry } = app.metrics;
  app.metrics.observe({
    runsRecorded: async () =>
      (
        await db.query<{ job: string; status: string; runs: number | string }>(
          `SELECT job, status, count(*) AS runs FROM ${db.schemas.etl}.runs GROUP BY job, status`,
        )
      ).map((row) => ({ ...row, runs: Number(row.runs) })),
  });
  const { redisUrl, prefix } = app.config.queue;
  if (redisUrl) {
    // A queue handle of its own, only to count: the executor's belongs to the executor.
    const queue = new Queue(QUEUE_NAME, { connection: redisConnection(redisUrl), prefix });
    queue.on('error', (error) => app.log.warn({ err: error }, 'metrics cannot read the queue'));
    app.metrics.observe({ queueDepth: () => queue.getJobCounts() });
    server.addHook('onClose', () => queue.close());
  }

  server.get(
    '/metrics',
    {
      schema: {
        tags: ['status'],
        summary: 'Prometheus metrics (text exposition format)',
        response: { 200: { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
};
