import { EtlError } from '../../internal/errors.ts';
import type { Logger } from '../../internal/logger.ts';
import type { DuneClient, PageRequest } from './client.ts';
import { executionStateError } from './duneErrors.ts';
import type { ResultMetadata, ResultsResponse } from './schemas.ts';
import { waitForExecution } from './waitForExecution.ts';

/** One page of a Dune result, with where it came from and where the next one starts. */
export interface ResultPage {
  rows: Record<string, unknown>[];
  metadata: ResultMetadata;
  executionId: string;
  /** When the execution behind these rows was submitted (RFC 3339, up to nanoseconds). */
  submittedAt?: string;
  offset: number;
  /** Offset of the next page; undefined on the last one. */
  nextOffset?: number;
}

/** `execute`: run the query now; `latest`: read the latest existing result without a run (cheaper). */
export type ResultsMode = 'execute' | 'latest';

export interface ReadResultOptions {
  queryId: number;
  params: Record<string, string>;
  mode: ResultsMode;
  pageSize: number;
  pollIntervalMs: number;
  signal: AbortSignal;
  log: Logger;
  /** `execute` mode: continue an execution already read up to `offset` (a run that stopped between pages). */
  resume?: { executionId: string; offset: number };
}

/**
 * The rows of a query, page by page (never the whole result in memory): in `execute` mode it starts a run, polls it
 * to its end and pages through it; in `latest` mode it pages through the latest existing result and never executes.
 */
export async function* readQueryResult(client: DuneClient, options: ReadResultOptions): AsyncGenerator<ResultPage> {
  const { queryId, params, pageSize, signal, log } = options;
  if (options.mode === 'latest') {
    const latest = (page: PageRequest) => client.latestResults(queryId, params, page, signal);
    yield* pages(client, latest, 0, pageSize, signal, queryId);
    return;
  }
  let executionId = options.resume?.executionId;
  let offset = 0;
  if (executionId && (await client.status(executionId, signal)).state === 'QUERY_STATE_COMPLETED') {
    offset = options.resume?.offset ?? 0;
    log.info({ executionId, offset }, 'resuming the Dune result where the last run stopped');
  } else {
    if (executionId) {
      log.warn({ executionId }, 'the interrupted Dune result is no longer readable: running the query again');
    }
    ({ executionId } = await client.execute(queryId, params, signal));
    log.info({ queryId, executionId }, 'Dune execution started');
    await waitForExecution(client, executionId, { pollIntervalMs: options.pollIntervalMs, signal, log, queryId });
  }
  const id = executionId;
  yield* pages(client, (page) => client.executionResults(id, page, signal), offset, pageSize, signal, queryId);
}

async function* pages(
  client: DuneClient,
  fetchPage: (page: PageRequest) => Promise<ResultsResponse>,
  firstOffset: number,
  pageSize: number,
  signal: AbortSignal,
  queryId: number,
): AsyncGenerator<ResultPage> {
  let offset = firstOffset;
  let response = await fetchPage({ offset, limit: pageSize });
  let metadata: ResultMetadata | undefined;
  for (;;) {
    if (response.state !== 'QUERY_STATE_COMPLETED') {
      throw executionStateError(response.state, { executionId: response.execution_id, queryId, error: response.error });
    }
    if (!response.result) {
      throw new EtlError(
        'ETL_UPSTREAM_MALFORMED',
        `Dune answered a completed execution ${response.execution_id} without its result`,
      );
    }
    // Later pages may repeat the metadata or not; the first page's column list holds for all.
    metadata = { ...metadata, ...response.result.metadata };
    const { rows } = response.result;
    const more = !!response.next_uri || response.next_offset != null;
    const next = more ? (response.next_offset ?? offset + rows.length) : undefined;
    if (next !== undefined && next <= offset) {
      throw new EtlError('ETL_UPSTREAM_MALFORMED', `Dune paginated backwards (offset ${offset} → ${next})`);
    }
    const total = metadata.total_row_count;
    if (next === undefined && typeof total === 'number' && offset + rows.length !== total) {
      // The last page must end where the result's own count says: anything else is a result cut short.
      throw new EtlError(
        'ETL_UPSTREAM_MALFORMED',
        `Dune result of execution ${response.execution_id} holds ${total} rows by its metadata, but its pages end at row ${offset + rows.length}: the answer was cut short. The pages before this one are stored; run again to read the rest`,
        { retryable: true },
      );
    }
    yield {
      rows,
      metadata,
      executionId: response.execution_id,
      submittedAt: response.submitted_at,
      offset,
      nextOffset: next,
    };
    if (next === undefined) return;
    const followed = response.next_uri ? client.follow(response.next_uri, signal) : undefined;
    offset = next;
    response = await (followed ?? fetchPage({ offset, limit: pageSize }));
  }
}
