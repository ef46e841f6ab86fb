import { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import type { Db } from '../../db/types.ts';
import { QUEUE_NAME, redisConnection } from '../../jobs/queueConnection.ts';
import type { EvmCursor } from '../../pipeline/evm/evmLoader.ts';
import type { ServerDeps } from '../deps.ts';

/**
 * `/metrics` for Prometheus: this process's counters, the run counts every process recorded, and the depth
 * of the job queue when jobs run on BullMQ (REDIS_URL).
 */
export const metricsRoutes: FastifyPluginAsync<ServerDeps> = async (server, { app, db }) => {
  const { registry } = app.metrics;
  const { etl } = db.schemas;
  app.metrics.observe({
    runsRecorded: async () =>
      (
        await db.query<{ job: string; status: string; runs: number | string }>(
          `SELECT job, status, count(*) AS runs FROM ${etl}.runs GROUP BY job, status`,
        )
      ).map((row) => ({ ...row, runs: Number(row.runs) })),
    streams: () => readStreamHealth(db),
    chainLag: async () =>
      (
        await db.query<{ stream: string; cursor: unknown }>(
          `SELECT stream, "cursor" FROM ${etl}.watermarks WHERE stream LIKE 'evm.%.blocks'`,
        )
      ).flatMap(({ stream, cursor }) => {
        const { next, head } = (typeof cursor === 'string' ? JSON.parse(cursor) : cursor) as EvmCursor;
        const chainId = stream.split('.')[1] as string;
        return head === undefined ? [] : [{ chainId, blocks: Math.max(0, head - (next - 1)) }];
      }),
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

/**
 * Each stream's seconds since its last checkpoint and its latest finished run's rejected share: the two figures
 * an operator alerts on (a stream gone quiet, an upstream sending garbage).
 */
async function readStreamHealth(db: Db) {
  const { etl } = db.schemas;
  const [marks, latest] = await Promise.all([
    db.query<{ stream: string; updated_at: Date | string }>(`SELECT stream, updated_at FROM ${etl}.watermarks`),
    db.query<{ stream: string; extracted: number | string; rejected: number | string }>(
      `SELECT stream, rows_extracted AS extracted, rows_rejected AS rejected FROM (
         SELECT stream, rows_extracted, rows_rejected, row_number() OVER (PARTITION BY stream ORDER BY id DESC) AS latest
         FROM ${etl}.runs WHERE stream IS NOT NULL AND status <> 'running'
       ) runs WHERE latest = 1`,
    ),
  ]);
  const share = new Map(
    latest.map((r) => [r.stream, Number(r.extracted) > 0 ? Number(r.rejected) / Number(r.extracted) : 0]),
  );
  const now = Date.now();
  return marks.map((m) => ({
    stream: m.stream,
    freshnessSeconds: Math.max(0, (now - new Date(m.updated_at).getTime()) / 1000),
    rejectedShare: share.get(m.stream) ?? null,
  }));
}
