import type { ComputedResult } from './queries.ts';

/** How a scripted execution ends instead of COMPLETED. */
export interface ScriptedOutcome {
  /** Only executions of this query; default any. */
  queryId?: number;
  state: 'QUERY_STATE_FAILED' | 'QUERY_STATE_CANCELLED' | 'QUERY_STATE_EXPIRED' | 'QUERY_STATE_COMPLETED_PARTIAL';
  /** Dune's error object of a FAILED execution. */
  error?: { type: string; message: string; metadata?: Record<string, unknown> };
}

export interface Execution {
  id: string;
  queryId: number;
  params: Record<string, unknown>;
  submittedMs: number;
  pendingMs: number;
  executingMs: number;
  outcome?: ScriptedOutcome;
  cancelledMs?: number;
  result?: ComputedResult;
}

const DAY_MS = 86_400_000;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A 26-character ULID-shaped id (48-bit time + a counter), as Dune's execution ids look. */
export function executionId(ms: number, sequence: number): string {
  let time = '';
  for (let t = ms, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  let rest = '';
  for (let s = sequence * 7919 + 104_729, i = 0; i < 16; i++, s = Math.floor(s / 32) + i * 131) {
    rest += CROCKFORD[s % 32];
  }
  return time + rest;
}

/** The state at `nowMs`: PENDING for `pendingMs`, EXECUTING for `executingMs`, then COMPLETED or the scripted end. */
export function stateAt(execution: Execution, nowMs: number): string {
  if (execution.cancelledMs !== undefined && execution.cancelledMs <= nowMs) return 'QUERY_STATE_CANCELLED';
  const elapsed = nowMs - execution.submittedMs;
  if (elapsed < execution.pendingMs) return 'QUERY_STATE_PENDING';
  if (elapsed < execution.pendingMs + execution.executingMs) return 'QUERY_STATE_EXECUTING';
  return execution.outcome?.state ?? 'QUERY_STATE_COMPLETED';
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The fields every status and results answer carries (samples/dune_execution_status_*.json). */
export function statusFields(execution: Execution, nowMs: number): Record<string, unknown> {
  const state = stateAt(execution, nowMs);
  const started = execution.submittedMs + execution.pendingMs;
  const ended = started + execution.executingMs;
  const finished = state !== 'QUERY_STATE_PENDING' && state !== 'QUERY_STATE_EXECUTING';
  const body: Record<string, unknown> = {
    execution_id: execution.id,
    query_id: execution.queryId,
    is_execution_finished: finished,
    state,
    submitted_at: iso(execution.submittedMs),
  };
  if (state === 'QUERY_STATE_PENDING') body.queue_position = 1;
  if (nowMs >= started) body.execution_started_at = iso(started);
  if (finished) body.execution_ended_at = iso(Math.min(ended, execution.cancelledMs ?? ended));
  // Results are kept 90 days; an expired one says when it went.
  body.expires_at = iso(state === 'QUERY_STATE_EXPIRED' ? nowMs - 1 : execution.submittedMs + 90 * DAY_MS);
  if (state === 'QUERY_STATE_CANCELLED') body.cancelled_at = iso(execution.cancelledMs ?? ended);
  if (state === 'QUERY_STATE_FAILED') {
    body.error = execution.outcome?.error ?? {
      type: 'FAILED_TYPE_EXECUTION_FAILED',
      message: 'sandbox: scripted failure',
    };
  }
  if (finished && state !== 'QUERY_STATE_FAILED') body.execution_cost_credits = 10;
  return body;
}
