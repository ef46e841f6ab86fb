import type { FastifyPluginAsync } from 'fastify';
import { runOutcome } from '../../pipeline/status.ts';
import { instant, int, type ServerDeps, text } from '../deps.ts';
import { type PageQuery, pageParams, pageResponse, sendPage, toNumber } from '../pagination.ts';
import { relationRoute } from './relationRoute.ts';

const runRow = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    job: { type: 'string' },
    stream: text,
    status: {
      type: 'string',
      enum: ['running', 'succeeded', 'failed', 'abandoned'],
      description: 'abandoned: the process running it died without recording its end (its heartbeat stopped)',
    },
    outcome: {
      type: 'string',
      enum: ['running', 'succeeded', 'succeeded_with_rejects', 'failed', 'abandoned'],
      description: 'The status, with a success that sent records to etl.rejects told apart',
    },
    trigger: { type: 'string' },
    started_at: instant,
    finished_at: instant,
    duration_ms: int,
    rows_extracted: { type: 'integer' },
    rows_loaded: { type: 'integer' },
    rows_rejected: { type: 'integer' },
    error: text,
  },
} as const;
const RUN_COLUMNS = Object.keys(runRow.properties);

const watermarkRow = {
  type: 'object',
  properties: {
    stream: { type: 'string' },
    cursor: { description: 'The checkpoint, as the stream saved it (JSON)' },
    run_id: int,
    updated_at: instant,
  },
} as const;

type RunsQuery = PageQuery & { job?: string; status?: string };

type RunRecord = Record<(typeof RUN_COLUMNS)[number], unknown> & { started_at: Date; finished_at: Date | null };

/** A run as the API shows it: counts as numbers (bigints arrive as strings), its duration in milliseconds. */
function toRunRow(run: RunRecord) {
  return {
    ...run,
    id: toNumber(run.id),
    duration_ms: run.finished_at ? run.finished_at.getTime() - run.started_at.getTime() : null,
    rows_extracted: toNumber(run.rows_extracted),
    rows_loaded: toNumber(run.rows_loaded),
    rows_rejected: toNumber(run.rows_rejected),
    outcome: runOutcome(String(run.status), toNumber(run.rows_rejected) ?? 0),
  };
}

/** The pipeline's own records: runs (`etl.runs`), checkpoints (`etl.watermarks`), quality results and drift. */
export const pipelineRoutes: FastifyPluginAsync<ServerDeps> = async (server, deps) => {
  const { db, reader } = deps;
  const { etl } = db.schemas;

  server.get<{ Querystring: RunsQuery }>(
    '/api/runs',
    {
      schema: {
        tags: ['pipeline'],
        summary: 'Run history, newest first: one row per stream or step of a job',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            job: { type: 'string', pattern: '^[a-z0-9-]+$', description: 'Only runs of this job' },
            status: { type: 'string', enum: ['running', 'succeeded', 'failed', 'abandoned'] },
            ...pageParams,
          },
        },
        response: pageResponse(runRow, 'Runs'),
      },
    },
    async (request, reply) => {
      const { job, status, limit, offset } = request.query;
      const params: unknown[] = [];
      const where = [
        ...(job ? [`job = $${params.push(job)}`] : []),
        ...(status ? [`status = $${params.push(status)}`] : []),
      ];
      const rows = await reader(reply).query<RunRecord>(
        `SELECT id, job, stream, status, "trigger", started_at, finished_at, rows_extracted, rows_loaded,
           rows_rejected, error
         FROM ${etl}.runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id DESC LIMIT $${params.push(limit + 1)} OFFSET $${params.push(offset)}`,
        params,
      );
      return sendPage(reply, { ...request.query, name: 'runs', columns: RUN_COLUMNS }, rows.map(toRunRow));
    },
  );

  server.get<{ Querystring: PageQuery }>(
    '/api/watermarks',
    {
      schema: {
        tags: ['pipeline'],
        summary: 'The checkpoint of each stream: where its next run resumes',
        querystring: { type: 'object', additionalProperties: false, properties: pageParams },
        response: pageResponse(watermarkRow, 'Watermarks by stream'),
      },
    },
    async (request, reply) => {
      const { limit, offset } = request.query;
      const rows = await reader(reply).query(
        `SELECT stream, "cursor", run_id, updated_at FROM ${etl}.watermarks ORDER BY stream LIMIT $1 OFFSET $2`,
        [limit + 1, offset],
      );
      return sendPage(
        reply,
        { ...request.query, name: 'watermarks', columns: Object.keys(watermarkRow.properties) },
        rows.map((row) => ({ ...row, run_id: toNumber(row.run_id) })),
      );
    },
  );

  relationRoute(server, deps, {
    url: '/api/quality',
    tag: 'pipeline',
    summary: 'Data-quality check results, newest first (etl.quality_results)',
    spec: {
      schema: 'etl',
      name: 'quality_results',
      time: ['checked_at', 'created_at', 'run_at', 'ts'],
      tieBreak: ['id', 'check_name', 'check'],
    },
  });

  relationRoute(server, deps, {
    url: '/api/schema-changes',
    tag: 'pipeline',
    summary:
      'Upstream drift, latest first (etl.schema_changes): fields a stream declares that a batch lacked, fields it does not know, types that changed',
    spec: { schema: 'etl', name: 'schema_changes', time: ['last_seen'], tieBreak: ['stream', 'field', 'kind'] },
  });
};
