import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { QUEUE_NAME, redisConnection } from '../../jobs/queueConnection.ts';
import type { ServerDeps } from '../deps.ts';

/** Where Bull Board lives: the queue monitor (Flower's role in the seeds). */
export const QUEUES_PATH = '/jobs/queues';

/**
 * Bull Board's routes that would start a run outside the job's deduplication id, so beside a new run of the
 * same job: retry every job of a status, retry one job, add a job. Matched on the route the router resolved
 * (`request.routeOptions.url`), not on the raw URL, which `%72etry` or any other encoding walks around.
 */
const REFUSED_ROUTES = new Set(
  [
    '/api/queues/:queueName/retry/:queueStatus',
    '/api/queues/:queueName/:jobId/retry',
    '/api/queues/:queueName/add',
  ].map((route) => `${QUEUES_PATH}${route}`),
);

const digest = (s: string) => createHash('sha256').update(s).digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/**
 * Bull Board at `/jobs/queues`, behind the API token: `Authorization: Bearer <API_TOKEN>`, or HTTP Basic with
 * API_TOKEN as the password so a browser can log in (its fetches then carry the credentials). Without
 * API_TOKEN the board is closed; without REDIS_URL there is no queue to show.
 */
export const queueRoutes: FastifyPluginAsync<ServerDeps> = async (server, { app }) => {
  const { redisUrl, prefix } = app.config.queue;
  const token = app.config.apiToken;
  if (!redisUrl) {
    const off = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.status(404).send({
        error: 'ETL_QUEUE_DISABLED',
        message: 'The queue monitor needs queue mode: set REDIS_URL and run `crypto-etl worker` processes',
      });
    server.get(QUEUES_PATH, { schema: { hide: true } }, off);
    server.get(`${QUEUES_PATH}/*`, { schema: { hide: true } }, off);
    return;
  }

  server.addHook('onRequest', async (request, reply) => {
    if (!token) {
      return reply.status(403).send({
        error: 'ETL_API_DISABLED',
        message: 'The queue monitor is closed: set API_TOKEN (16+ characters) on the server to open it',
      });
    }
    const [scheme, value = ''] = (request.headers.authorization ?? '').split(/\s+/, 2);
    const sent =
      scheme?.toLowerCase() === 'bearer'
        ? value
        : scheme?.toLowerCase() === 'basic'
          ? Buffer.from(value, 'base64').toString('utf8').split(':').slice(1).join(':')
          : undefined;
    if (sent !== undefined && same(sent, token)) return;
    return reply
      .status(401)
      .header('www-authenticate', 'Basic realm="crypto-etl jobs", charset="UTF-8"')
      .send({
        error: 'ETL_API_UNAUTHORIZED',
        message: `${sent === undefined ? 'Missing' : 'Wrong'} credentials: send Authorization: Bearer <API_TOKEN> (in a browser, any user name and API_TOKEN as the password)`,
      });
  });

  // The board's own routes stay out of the OpenAPI document: they are a UI, not the product's API.
  // The board hides its retry buttons (below), but its API would still retry: refuse that too.
  server.addHook('preHandler', async (request, reply) => {
    if (REFUSED_ROUTES.has(request.routeOptions.url ?? '')) {
      return reply.status(403).send({
        error: 'ETL_QUEUE_RETRY_DISABLED',
        message:
          'Retrying a finished run or adding a job by hand is off: it would run beside any new run of the job. Start the job again instead: crypto-etl run <job>, or POST /api/jobs/<job>/run',
      });
    }
  });

  server.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  const queue = new Queue(QUEUE_NAME, { connection: redisConnection(redisUrl), prefix });
  queue.on('error', (error) => app.log.error({ error: error.message }, 'queue monitor: Redis error'));
  server.addHook('onClose', () => queue.close());
  const adapter = new FastifyAdapter().setBasePath(QUEUES_PATH);
  createBullBoard({
    // No retry: a finished run retried by hand would run without holding the job's deduplication id, so
    // beside a new run of the same job. `crypto-etl run <job>` (or the API) starts it again instead.
    queues: [new BullMQAdapter(queue, { allowRetries: false })],
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'crypto-etl jobs' } },
  });
  await server.register(adapter.registerPlugin(), { prefix: QUEUES_PATH });
};
