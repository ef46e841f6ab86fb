import { type Execution, statusFields } from './executions.ts';
import type { ComputedResult } from './queries.ts';

/** Rows per page when `limit` is absent (the SDKs' batch size). */
export const DEFAULT_LIMIT = 32_000;

export interface PageQuery {
  offset: number;
  limit: number;
}

/** `offset` / `limit` of a results request; undefined when either is not a non-negative integer. */
export function parsePage(query: Record<string, string>): PageQuery | undefined {
  const offset = query.offset === undefined ? 0 : Number(query.offset);
  const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
  if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1) return undefined;
  return { offset, limit };
}

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * One results page of a completed execution (samples/dune_execution_results*.json): `row_count` and
 * `result_set_bytes` of this page, `total_*` of the whole; `next_offset` / `next_uri` only when rows remain.
 */
export function resultsBody(
  execution: Execution,
  result: ComputedResult,
  page: PageQuery,
  nowMs: number,
  nextUri: (offset: number, limit: number) => string,
): Record<string, unknown> {
  const rows = result.rows.slice(page.offset, page.offset + page.limit);
  const total = result.rows.length;
  const body: Record<string, unknown> = statusFields(execution, nowMs);
  const next = page.offset + page.limit;
  if (next < total) {
    body.next_offset = next;
    body.next_uri = nextUri(next, page.limit);
  }
  body.result = {
    rows,
    metadata: {
      column_names: result.columnNames,
      column_types: result.columnTypes,
      row_count: rows.length,
      result_set_bytes: bytes(rows),
      total_row_count: total,
      total_result_set_bytes: bytes(result.rows),
      datapoint_count: total * result.columnNames.length,
      pending_time_millis: execution.pendingMs,
      execution_time_millis: execution.executingMs,
    },
  };
  return body;
}
