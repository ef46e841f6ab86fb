import type { FastifyPluginAsync } from 'fastify';
import type { Db } from '../../db/types.ts';
import { findJob } from '../../jobs/catalogue.ts';
import { nextRunOf } from '../../pipeline/status.ts';
import { requireBearer } from '../auth.ts';
import { errorResponse, instant, int, type ServerDeps, text } from '../deps.ts';
import { type PageQuery, pageParams, pageResponse, sendPage, toNumber } from '../pagination.ts';

const jobRow = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    schedule: { ...text, description: 'Cron in UTC; null for manual-only jobs' },
    next_run: instant,
    last_run_id: int,
    last_status: { ...text, description: 'running, succeeded or failed; null when it never ran' },
    last_outcome: {
      ...text,
      description:
        "last_status, except succeeded_with_rejects when the latest run of one of the job's streams (last 7 days) sent records to etl.rejects",
    },
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
  last_outcome: string | null;
  last_started_at: Date | null;
  last_finished_at: Date | null;
  last_error: string | null;
  failures_24h: number;
};

/** A job with no run yet: every last-run field present, as null. */
const neverRan = (job: string): LastRun => ({
  job,
  last_run_id: null,
  last_status: null,
  last_outcome: null,
  last_started_at: null,
  last_finished_at: null,
  last_error: null,
  failures_24h: 0,
});

/** `/api/jobs` (the catalogue with schedules and last runs) and the bearer-protected manual trigger. */
export const jobRoutes: FastifyPluginAsync<ServerDeps> = async (server, { app, db, reader }) => {
  const { etl } = db.schemas;

  /**
   * The last run of each job and its failures in the last 24 hours. One indexed `LIMIT 1` per job, glued by
   * UNION ALL: SQL that PostgreSQL and MySQL both run (MariaDB has no LATERAL).
   */
  async function lastRuns(db: Db, names: readonly string[]): Promise<Map<string, LastRun>> {
    if (names.length === 0) return new Map();
    const params: unknown[] = [];
    const latest = names
      .map(
        (name) => `(SELECT job, id, status, started_at, finished_at, error FROM ${etl}.runs
           WHERE job = $${params.push(name)} ORDER BY started_at DESC, id DESC LIMIT 1)`,
      )
      .join(' UNION ALL ');
    const runs = await db.query<{ job: string; id: unknown; status: string } & Record<string, unknown>>(latest, params);
    const since = new Date(Date.now() - 86_400_000);
    const failures = await db.query<{ job: string; n: unknown }>(
      `SELECT job, count(*) AS n FROM ${etl}.runs WHERE status = 'failed' AND started_at > $1
         AND job IN (${names.map((_, i) => `$${i + 2}`).join(', ')}) GROUP BY job`,
      [since, ...names],
    );
    const failed = new Map(failures.map((f) => [f.job, Number(f.n)]));
    // The latest run of each of a job's streams: one that left rejects makes the job's success amber.
    const rejecting = await db.query<{ job: string }>(
      `SELECT DISTINCT job FROM (
         SELECT job, rows_rejected, row_number() OVER (PARTITION BY job, stream ORDER BY id DESC) AS latest
         FROM ${etl}.runs WHERE started_at > $1 AND status <> 'running'
           AND job IN (${names.map((_, i) => `$${i + 2}`).join(', ')})
       ) runs WHERE latest = 1 AND rows_rejected > 0`,
      [new Date(since.getTime() - 6 * 86_400_000), ...names],
    );
    const withRejects = new Set(rejecting.map((r) => r.job));
    return new Map(
      runs.map((r) => [
        r.job,
        {
          job: r.job,
          last_run_id: toNumber(r.id),
          last_status: r.status,
          last_outcome: r.status === 'succeeded' && withRejects.has(r.job) ? 'succeeded_with_rejects' : r.status,
          last_started_at: r.started_at as Date,
          last_finished_at: r.finished_at as Date | null,
          last_error: r.error as string | null,
          failures_24h: failed.get(r.job) ?? 0,
        },
      ]),
    );
  }

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
      const byJob = await lastRuns(reader(reply), names);
      const rows = jobs.map((job) => {
        const { job: _name, ...run } = byJob.get(job.name) ?? neverRan(job.name);
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
