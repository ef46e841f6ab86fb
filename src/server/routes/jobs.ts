import type { FastifyPluginAsync } from 'fastify';
import { findJob } from '../../jobs/catalogue.ts';
import { nextRunOf } from '../../pipeline/status.ts';
import { requireBearer } from '../auth.ts';
import { errorResponse, instant, int, type ServerDeps, text } from '../deps.ts';
import { type PageQuery, pageParams, pageResponse, sendPage } from '../pagination.ts';

const jobRow = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    schedule: { ...text, description: 'Cron in UTC; null for manual-only jobs' },
    next_run: instant,
    last_run_id: int,
    last_status: { ...text, description: 'running, succeeded or failed; null when it never ran' },
    last_started_at: instant,
    last_finished_at: instant,
    last_error: text,
    failures_24h: { type: 'integer', description: 'Failed runs in the last 24 hours' },
  },
} as const;
const JOB_COLUMNS = Object.keys(jobRow.properties);

type LastRun = {
  job: string;
  last_run_id: number | null;
  last_status: string | null;
  last_started_at: Date | null;
  last_finished_at: Date | null;
  last_error: string | null;
  failures_24h: number;
};

/** `/api/jobs` (the catalogue with schedules and last runs) and the bearer-protected manual trigger. */
export const jobRoutes: FastifyPluginAsync<ServerDeps> = async (server, { app, db }) => {
  const { etl } = db.schemas;

  server.get<{ Querystring: PageQuery }>(
    '/api/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Every job: schedule, next run, last run and recent failures',
        querystring: { type: 'object', additionalProperties: false, properties: pageParams },
        response: pageResponse(jobRow, 'Jobs in catalogue order'),
      },
    },
    async (request, reply) => {
      const { limit, offset } = request.query;
      const jobs = app.catalogue.slice(offset, offset + limit + 1);
      const names = jobs.map((j) => j.name);
      const last = await db.query<LastRun>(
        `SELECT j.name AS job, r.id::int AS last_run_id, r.status AS last_status, r.started_at AS last_started_at,
           r.finished_at AS last_finished_at, r.error AS last_error,
           (SELECT count(*)::int FROM ${etl}.runs f
             WHERE f.job = j.name AND f.status = 'failed' AND f.started_at > now() - interval '1 day') AS failures_24h
         FROM unnest($1::text[]) AS j(name)
         LEFT JOIN LATERAL (
           SELECT id, status, started_at, finished_at, error FROM ${etl}.runs
           WHERE job = j.name ORDER BY started_at DESC, id DESC LIMIT 1
         ) r ON true`,
        [names],
      );
      const byJob = new Map(last.map((r) => [r.job, r]));
      const rows = jobs.map((job) => {
        const { job: _name, ...run } = byJob.get(job.name) ?? ({ failures_24h: 0 } as LastRun);
        return {
          name: job.name,
          description: job.description,
          schedule: job.schedule,
          next_run: app.executor.nextRun(job.name) ?? nextRunOf(job.schedule),
          ...run,
        };
      });
      return sendPage(reply, { ...request.query, name: 'jobs', columns: JOB_COLUMNS }, rows);
    },
  );

  server.post<{ Params: { name: string } }>(
    '/api/jobs/:name/run',
    {
      preHandler: requireBearer(app.config.apiToken),
      schema: {
        tags: ['jobs'],
        summary: 'Start a job now (Authorization: Bearer API_TOKEN); its runs then appear in /api/runs',
        security: [{ bearerAuth: [] }],
        params: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', pattern: '^[a-z0-9-]+$', description: 'Job name, see /api/jobs' } },
        },
        response: {
          202: {
            description: 'Started; the run goes on after this answer',
            type: 'object',
            properties: { job: { type: 'string' }, id: { type: 'string' }, status: { type: 'string' } },
          },
          400: errorResponse('The job name is not a job name'),
          401: errorResponse('Missing or wrong bearer token'),
          403: errorResponse('API_TOKEN is not set on the server'),
          404: errorResponse('No job of that name'),
          409: errorResponse('The job is already running'),
        },
      },
    },
    async (request, reply) => {
      const job = findJob(app.catalogue, request.params.name);
      const triggered = await app.executor.trigger(job.name, { trigger: 'api' });
      // The outcome is recorded in etl.runs; nobody awaits it here.
      triggered.done.catch((error) => app.log.error({ err: error, job: job.name }, 'triggered job crashed'));
      return reply.status(202).send({ job: job.name, id: triggered.id, status: 'started' });
    },
  );
};
