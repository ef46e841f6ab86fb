import { fail, type RouteResult } from '../http/respond.ts';
import { statusFields } from './executions.ts';
import { parsePage, resultsBody } from './results.ts';
import type { Store } from './store.ts';

export type { RouteResult };

export interface RouteContext {
  store: Store;
  nowMs: number;
  /** Base URL up to `/api/v1`, for `next_uri`. */
  baseUrl: string;
  /** `free` refuses the query-management endpoints, as Dune does below its paid plans. */
  plan: 'free' | 'paid';
  /** Credits left this billing cycle; an execution costs 10. */
  credits: { left: number };
}

const EXECUTION_COST = 10;
const ok = (body: unknown): RouteResult => ({ status: 200, body });
const NOT_FOUND = fail(404, 'not found: Query not found or private');
const BILLING =
  'This api request would exceed your configured limits per billing cycle. Please visit your settings on dune.com and adjust your limits to continue usage.';
// [U] Dune's wording for a plan without query management is not documented; the status (403) is an assumption.
const PLAN = 'Query management endpoints require a paid plan (Analyst or higher)';

/** The rate-limit class of an endpoint (Dune's "low-limit" writes and executions vs "high-limit" reads). */
export function bucketOf(method: string, path: string): 'low' | 'high' {
  if (method === 'POST' && /^\/query(\/\d+\/execute)?$/.test(path)) return 'low';
  if (method === 'PATCH') return 'low';
  return 'high';
}

type Handler = (match: RegExpExecArray, query: Record<string, string>, body: unknown, ctx: RouteContext) => RouteResult;

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

const execute: Handler = (m, _q, body, ctx) => {
  const queryId = Number(m[1]);
  if (!ctx.store.queries.has(queryId)) return NOT_FOUND;
  const params = asObject(asObject(body).query_parameters);
  if (ctx.credits.left < EXECUTION_COST) return fail(402, BILLING);
  ctx.credits.left -= EXECUTION_COST;
  const execution = ctx.store.execute(queryId, params);
  return ok({ execution_id: execution.id, state: 'QUERY_STATE_PENDING' });
};

const status: Handler = (m, _q, _b, ctx) => {
  const execution = ctx.store.executions.get(m[1] ?? '');
  if (!execution) return fail(404, 'not found: execution not found');
  const fields = statusFields(execution, ctx.nowMs);
  if (fields.state !== 'QUERY_STATE_COMPLETED') return ok(fields);
  const result = execution.result;
  return ok({
    ...fields,
    result_metadata: {
      column_names: result?.columnNames ?? [],
      column_types: result?.columnTypes ?? [],
      total_row_count: result?.rows.length ?? 0,
      execution_time_millis: execution.executingMs,
    },
  });
};

function results(executionId: string, query: Record<string, string>, ctx: RouteContext, path: string): RouteResult {
  const execution = ctx.store.executions.get(executionId);
  if (!execution) return fail(404, 'not found: execution not found');
  const page = parsePage(query);
  if (!page) return fail(400, 'invalid offset or limit: expected non-negative integers');
  const fields = statusFields(execution, ctx.nowMs);
  // Results exist only once completed; before that (or after a failure) the answer is the status alone.
  if (fields.state !== 'QUERY_STATE_COMPLETED' || !execution.result) return ok(fields);
  const keep = Object.entries(query).filter(([k]) => k !== 'offset' && k !== 'limit');
  const nextUri = (offset: number, limit: number) =>
    `${ctx.baseUrl}${path}?${new URLSearchParams([...keep, ['offset', String(offset)], ['limit', String(limit)]])}`;
  return ok(resultsBody(execution, execution.result, page, ctx.nowMs, nextUri));
}

const executionResults: Handler = (m, q, _b, ctx) => results(m[1] ?? '', q, ctx, `/execution/${m[1]}/results`);

const latestResults: Handler = (m, q, _b, ctx) => {
  const queryId = Number(m[1]);
  if (!ctx.store.queries.has(queryId)) return NOT_FOUND;
  // NOTE: `params.*` are ignored: the emulator keeps one latest result per query, whatever its parameters.
  const latest = ctx.store.latest(queryId);
  if (!latest) return fail(404, 'not found: this query has no completed execution yet');
  return results(latest.id, q, ctx, `/query/${queryId}/results`);
};

const cancel: Handler = (m, _q, _b, ctx) => {
  const execution = ctx.store.executions.get(m[1] ?? '');
  if (!execution) return fail(404, 'not found: execution not found');
  const state = statusFields(execution, ctx.nowMs).state;
  if (state !== 'QUERY_STATE_PENDING' && state !== 'QUERY_STATE_EXECUTING') return ok({ success: false });
  execution.cancelledMs = ctx.nowMs;
  return ok({ success: true });
};

function querySpec(body: Record<string, unknown>) {
  const parameters = Array.isArray(body.parameters)
    ? body.parameters.map((p) => {
        const o = asObject(p);
        return { key: String(o.key), type: String(o.type ?? 'text'), value: String(o.value ?? '') };
      })
    : undefined;
  return {
    name: typeof body.name === 'string' ? body.name : undefined,
    sql: typeof body.query_sql === 'string' ? body.query_sql : undefined,
    parameters,
  };
}

const createQuery: Handler = (_m, _q, raw, ctx) => {
  if (ctx.plan === 'free') return fail(403, PLAN);
  const body = asObject(raw);
  if (typeof body.name !== 'string' || typeof body.query_sql !== 'string') {
    return fail(400, 'name and query_sql are required');
  }
  return ok({ query_id: ctx.store.create(querySpec(body)).query_id });
};

const updateQuery: Handler = (m, _q, raw, ctx) => {
  if (ctx.plan === 'free') return fail(403, PLAN);
  const query = ctx.store.queries.get(Number(m[1]));
  if (!query) return NOT_FOUND;
  const spec = querySpec(asObject(raw));
  if (spec.name !== undefined) query.name = spec.name;
  if (spec.sql !== undefined) query.query_sql = spec.sql;
  if (spec.parameters !== undefined) query.parameters = spec.parameters;
  query.version++;
  return ok({ query_id: query.query_id });
};

const readQuery: Handler = (m, _q, _b, ctx) => {
  if (ctx.plan === 'free') return fail(403, PLAN);
  const query = ctx.store.queries.get(Number(m[1]));
  if (!query) return NOT_FOUND;
  const { result: _result, ...shown } = query;
  return ok({ ...shown, query_engine: 'v2 Dune SQL', tags: [], owner: 'sandbox' });
};

const ROUTES: Array<[method: string, pattern: RegExp, handler: Handler]> = [
  ['POST', /^\/query\/(\d+)\/execute$/, execute],
  ['GET', /^\/execution\/([0-9A-Z]+)\/status$/, status],
  ['GET', /^\/execution\/([0-9A-Z]+)\/results$/, executionResults],
  ['POST', /^\/execution\/([0-9A-Z]+)\/cancel$/, cancel],
  ['GET', /^\/query\/(\d+)\/results$/, latestResults],
  ['POST', /^\/query$/, createQuery],
  ['PATCH', /^\/query\/(\d+)$/, updateQuery],
  ['GET', /^\/query\/(\d+)$/, readQuery],
];

/** Answers one authorised request; `path` is the part after `/api/v1`. */
export function route(
  method: string,
  path: string,
  query: Record<string, string>,
  body: unknown,
  ctx: RouteContext,
): RouteResult {
  for (const [m, pattern, handler] of ROUTES) {
    const match = pattern.exec(path);
    if (match && m === method) return handler(match, query, body, ctx);
  }
  return fail(404, `not found: ${method} ${path} is not served by the Dune sandbox`);
}
