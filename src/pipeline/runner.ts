import type { Db } from '../db/types.ts';
import { describeError, EtlError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';
import { describeIssues, type Reject, writeRejects } from './rejects.ts';
import { createRunLog, type RunCounts, type RunTrigger } from './runLog.ts';
import type { StreamDefinition } from './stream.ts';
import { readWatermark, writeWatermark } from './watermarks.ts';

export interface StreamProgress extends RunCounts {
  stream: string;
  done?: number;
  total?: number;
}

export interface RunStreamOptions {
  /** The job this run belongs to (`coingecko-prices`); recorded in `etl.runs`. */
  job: string;
  trigger?: RunTrigger;
  signal?: AbortSignal;
  onProgress?: (progress: StreamProgress) => void;
}

export interface RunResult extends RunCounts {
  runId: number;
  job: string;
  stream: string;
  status: 'succeeded' | 'failed';
  error?: string;
  /** The error itself, for callers that decide on retries (`EtlError.retryable`). */
  cause?: unknown;
  durationMs: number;
}

export interface RunnerHooks {
  runFinished?(result: RunResult): void;
}

export interface Runner {
  /** Extracts a stream from its watermark, loading each batch with its new watermark in one transaction. */
  runStream<Rec extends Record<string, unknown>, C>(
    stream: StreamDefinition<Rec, C>,
    options: RunStreamOptions,
  ): Promise<RunResult>;
}

/** Splits a batch into rows (in column order) and rejects with the reason each failed its schema. */
function validate<Rec extends Record<string, unknown>>(
  stream: StreamDefinition<Rec, unknown>,
  records: readonly unknown[],
) {
  const rows: unknown[][] = [];
  const rejects: Reject[] = [];
  for (const raw of records) {
    const parsed = stream.record.safeParse(raw);
    if (parsed.success) rows.push(stream.columns.map((c) => parsed.data[c]));
    else rejects.push({ reason: describeIssues(parsed.error), payload: raw });
  }
  return { rows, rejects };
}

export function createRunner({ db, log, hooks = {} }: { db: Db; log: Logger; hooks?: RunnerHooks }): Runner {
  const { schemas } = db;
  const runLog = createRunLog(db, schemas);

  async function runStream<Rec extends Record<string, unknown>, C>(
    stream: StreamDefinition<Rec, C>,
    options: RunStreamOptions,
  ): Promise<RunResult> {
    const started = Date.now();
    const signal = options.signal ?? new AbortController().signal;
    const runId = await runLog.start(options.job, stream.name, options.trigger ?? 'manual');
    const counts: RunCounts = { rowsExtracted: 0, rowsLoaded: 0, rowsRejected: 0 };
    const streamLog = log.child({ job: options.job, stream: stream.name, runId });
    const target = {
      table: `${schemas.staging}.${stream.table}`,
      columns: stream.columns,
      key: stream.key,
      onConflict: stream.onConflict,
      // Every staging table has loaded_at: a rewritten row counts as loaded again, for the rollups.
      touch: 'loaded_at',
    };
    let result: RunResult;
    try {
      const cursor = await readWatermark<C>(db, schemas, stream.name);
      streamLog.info({ cursor }, 'run started');
      const batches = stream.extract({ cursor, signal, log: streamLog })[Symbol.asyncIterator]();
      const prepare = async () => {
        const next = await batches.next();
        return next.done ? null : { batch: next.value, ...validate(stream, next.value.records) };
      };
      let current = await prepare();
      while (current) {
        const { batch, rows, rejects } = current;
        // Extract and validate the next batch while this one is written: the database and the
        // upstream (or the CPU validating) work at the same time. Only committed batches move the watermark.
        const upcoming = prepare();
        upcoming.catch(() => {});
        const loaded = await db.transaction(async (tx) => {
          const n = await tx.writeRows(target, rows);
          await writeRejects(tx, schemas, stream.name, runId, rejects);
          await writeWatermark(tx, schemas, stream.name, batch.cursor, runId);
          return n;
        });
        counts.rowsExtracted += batch.records.length;
        counts.rowsLoaded += loaded;
        counts.rowsRejected += rejects.length;
        if (rejects.length > 0)
          streamLog.warn({ rejected: rejects.length, first: rejects[0]?.reason }, 'records rejected');
        await runLog.progress(runId, counts);
        options.onProgress?.({ stream: stream.name, ...counts, ...batch.progress });
        // Stop between batches, never inside one: the next run resumes from the watermark just saved.
        if (signal.aborted) {
          throw new EtlError('ETL_ABORTED', 'stopped by shutdown; the next run resumes from the last checkpoint');
        }
        current = await upcoming;
      }
      await runLog.finish(runId, 'succeeded', counts);
      result = {
        runId,
        job: options.job,
        stream: stream.name,
        status: 'succeeded',
        ...counts,
        durationMs: Date.now() - started,
      };
      streamLog.info({ ...counts, ms: result.durationMs }, 'run succeeded');
    } catch (error) {
      const message = describeError(error);
      await runLog
        .finish(runId, 'failed', counts, message)
        .catch((e) => streamLog.error({ err: e }, 'cannot record run'));
      result = {
        runId,
        job: options.job,
        stream: stream.name,
        status: 'failed',
        ...counts,
        error: message,
        cause: error,
        durationMs: Date.now() - started,
      };
      streamLog.error({ ...counts, error: message }, 'run failed');
    }
    hooks.runFinished?.(result);
    return result;
  }

  return { runStream };
}
