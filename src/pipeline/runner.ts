import { setTimeout as sleep } from 'node:timers/promises';
import type { Common } from '../common.ts';
import { creatingPartitions, preparePartitions } from '../db/partitions.ts';
import type { Queryable, WriteTarget } from '../db/types.ts';
import { readWatermark, writeWatermark } from '../db/watermarks.ts';
import { describeError, EtlError, isEtlError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';
import { scrubSecrets } from '../internal/redact.ts';
import { describeIssues } from '../internal/zodIssues.ts';
import type { StreamDefinition } from '../sources/stream.ts';
import { contractOf, inspectBatch, type SchemaChange, typeChanges } from './contract.ts';
import { type Reject, writeRejects } from './rejects.ts';
import {
  type AbandonedRun,
  abandonStaleRuns,
  createRunLog,
  DEFAULT_HEARTBEAT_MS,
  type QueueAttempt,
  type RunCounts,
  type RunTrigger,
} from './runLog.ts';
import { writeSchemaChanges } from './schemaChanges.ts';

export interface StreamProgress extends RunCounts {
  stream: string;
  done?: number;
  total?: number;
}

export interface RunOptions {
  /** The job this run belongs to (`coingecko-prices`); recorded in `etl.runs`. */
  job: string;
  trigger?: RunTrigger;
  signal?: AbortSignal;
  onProgress?: (progress: StreamProgress) => void;
  /** The queue attempt the run belongs to, recorded with it: a recovered job does not run it twice. */
  attempt?: QueueAttempt;
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
  /** A checkpoint's transaction committed: its rows are visible to every reader from now on. */
  checkpointCommitted?(stream: string): void;
  /** Drift recorded by a run, one call per stream, field and kind. */
  schemaChanged?(stream: string, change: SchemaChange): void;
}

/** A reject, with the stream it is filed under when that is not the run's own (an EVM range's tables). */
export type CheckpointReject = Reject & { stream?: string };

/**
 * One unit of work committed at once: rows for one or more tables, an optional pre-write step (the
 * orphan delete after a reorg) and ledger step (a loaded file's checksum), the rejects and the watermark.
 * Everything in it commits in one transaction, or nothing does.
 */
export interface Checkpoint<C> {
  writes: readonly { target: WriteTarget; rows: readonly (readonly unknown[])[] }[];
  /** Records received from the upstream for this checkpoint (loaded or rejected). */
  extracted: number;
  rejects?: readonly CheckpointReject[];
  /**
   * A load too large to hold (a file): streams rows into the transaction itself, filing rejects as it goes,
   * and says what it read. The reject share is judged when it returns; beyond it, everything rolls back.
   */
  load?(tx: Queryable, fileRejects: (batch: readonly Reject[]) => Promise<void>): Promise<StreamedLoad>;
  /** The watermark after this checkpoint; undefined leaves it where it is. */
  cursor?: C;
  changes?: readonly SchemaChange[];
  /** Runs first in the transaction (the delete of another branch's rows). */
  before?(tx: Queryable): Promise<void>;
  /** Runs last in the transaction, with what was loaded (a file's ledger row). */
  after?(tx: Queryable, outcome: StreamedLoad & { runId: number }): Promise<void>;
  progress?: { done: number; total?: number };
}

/** What a checkpoint loaded: records read, rows inserted or changed, records rejected. */
export interface StreamedLoad {
  extracted: number;
  loaded: number;
  rejected: number;
}

/** What a run's body works with: its id and logger, the saved watermark, and `commit`. */
export interface RunSession<C> {
  runId: number;
  stream: string;
  log: Logger;
  signal: AbortSignal;
  /** The watermark as the run found it. */
  cursor: C | undefined;
  counts: Readonly<RunCounts>;
  /** Checks the contract rules, then writes the checkpoint in one transaction; returns the rows loaded. */
  commit(checkpoint: Checkpoint<C>): Promise<number>;
  /** Adds to the run's counts what a body loaded without checkpoints (a transform, a check). */
  count(loaded: Partial<RunCounts>): void;
  /** Reports progress without writing (a poll that found nothing new). */
  report(progress: { done: number; total?: number }): void;
  /** Throws `ETL_ABORTED` when the run was asked to stop: call it between checkpoints, never inside one. */
  stopIfAborted(): void;
}

export interface RunDefinition {
  /** Watermark key and the name in `etl.runs` / `etl.rejects`. */
  stream: string;
  /** Largest share of a checkpoint's records that may be rejected; default the runner's `REJECT_MAX_SHARE`. */
  rejectMaxShare?: number;
  /** A stop asked for while the body runs ends the run as succeeded (following a chain's head). */
  stopIsSuccess?: boolean;
}

export interface Runner {
  /**
   * Runs a body that commits checkpoints, recording the run in `etl.runs` and in the hooks. Every rule of
   * loading lives here: the reject share, drift records, secrets scrubbed before they are stored, rows
   * and watermark in one transaction, a failure recorded and alerted by the caller's result.
   */
  run<C>(
    definition: RunDefinition,
    options: RunOptions,
    body: (session: RunSession<C>) => Promise<void>,
  ): Promise<RunResult>;
  /** Extracts a stream from its watermark, loading each batch with its new watermark in one transaction. */
  runStream<Rec extends Record<string, unknown>, C>(
    stream: StreamDefinition<Rec, C>,
    options: RunOptions,
  ): Promise<RunResult>;
  /**
   * Closes as `abandoned` the runs of other processes whose heartbeat stopped two heartbeats ago; every run does
   * this first, and long-lived processes call it on a timer so the API and the dashboard show them so too.
   */
  abandonStale(): Promise<AbandonedRun[]>;
}

export interface CreateRunnerOptions extends Pick<Common, 'db' | 'log'> {
  hooks?: RunnerHooks;
  /** Configured keys and tokens: scrubbed from every error, reject and sample before it is stored. */
  secrets?: readonly (string | undefined)[];
  /** Default largest share of a checkpoint that may be rejected (`REJECT_MAX_SHARE`, 0.05). */
  rejectMaxShare?: number;
  /**
   * How often a running run's `heartbeat_at` is touched (`RUN_HEARTBEAT_MS`, default 15 s); a run silent for two
   * intervals is `abandoned`.
   */
  heartbeatMs?: number;
}

/** `etl.runs` row counts are refreshed at most this often while a run goes (and always at its end). */
const PROGRESS_EVERY_MS = 1_000;
/** Longest record quoted in an error message. */
const SAMPLE_CHARS = 500;
/**
 * How long a run's end is retried while the database is unavailable, so it is recorded once it is back; past
 * this (or on shutdown) the run is left to its heartbeat, and is abandoned.
 */
const RECORD_END_FOR_MS = 5 * 60_000;
const RECORD_RETRY_MAX_MS = 5_000;

export const DEFAULT_REJECT_MAX_SHARE = 0.05;

function sampleOf(record: unknown, scrub: (text: string) => string): string {
  const text = scrub(JSON.stringify(record) ?? String(record));
  return text.length <= SAMPLE_CHARS ? text : `${text.slice(0, SAMPLE_CHARS)}…`;
}

const percent = (share: number) => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)} %`;

export function createRunner(options: CreateRunnerOptions): Runner {
  const { db, log, hooks = {} } = options;
  const { schemas } = db;
  const runLog = createRunLog(db, schemas);
  const defaultShare = options.rejectMaxShare ?? DEFAULT_REJECT_MAX_SHARE;
  const scrub = (text: string) => scrubSecrets(text, options.secrets ?? []);
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;

  /** This process's runs: one timer touches all their heartbeats while there are any. */
  const live = new Set<number>();
  let heartbeat: NodeJS.Timeout | undefined;
  const beat = () =>
    void runLog
      .beat([...live])
      .catch((e) => log.warn({ error: describeError(e) }, 'cannot record the heartbeat of runs'));
  function alive(runId: number, on: boolean): void {
    if (on) live.add(runId);
    else live.delete(runId);
    if (live.size > 0 && !heartbeat) {
      heartbeat = setInterval(beat, heartbeatMs);
      heartbeat.unref();
    } else if (live.size === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  }

  async function abandonStale(): Promise<AbandonedRun[]> {
    const found = await abandonStaleRuns(db, schemas, heartbeatMs * 2, [...live]);
    for (const run of found) log.warn({ ...run, silentMs: heartbeatMs * 2 }, 'run abandoned: its heartbeat stopped');
    return found;
  }

  async function run<C>(
    definition: RunDefinition,
    runOptions: RunOptions,
    body: (session: RunSession<C>) => Promise<void>,
  ): Promise<RunResult> {
    const { stream } = definition;
    const started = Date.now();
    const signal = runOptions.signal ?? new AbortController().signal;
    const maxShare = definition.rejectMaxShare ?? defaultShare;
    // A run of this job whose process died is closed before this one starts, and shows so beside it.
    await abandonStale();
    const runId = await runLog.start(runOptions.job, stream, runOptions.trigger ?? 'manual', runOptions.attempt);
    alive(runId, true);
    const counts: RunCounts = { rowsExtracted: 0, rowsLoaded: 0, rowsRejected: 0 };
    const streamLog = log.child({ job: runOptions.job, stream, runId });
    let progressAt = 0;
    const recordedChanges = new Set<string>();

    const report = (progress: { done: number; total?: number } | undefined, force = false) => {
      runOptions.onProgress?.({ stream, ...counts, ...progress });
      if (!force && Date.now() - progressAt < PROGRESS_EVERY_MS) return;
      progressAt = Date.now();
      void runLog.progress(runId, counts).catch((e) => streamLog.warn({ err: e }, 'cannot record progress'));
    };

    /** Drift is stored even when the checkpoint that showed it fails: it is why the run failed. */
    const recordChanges = async (tx: Queryable, changes: readonly SchemaChange[]) => {
      const fresh = changes.filter((c) => !recordedChanges.has(`${c.field}\0${c.kind}`));
      if (fresh.length === 0) return;
      await writeSchemaChanges(tx, schemas, stream, runId, fresh, scrub);
      return () => {
        for (const change of fresh) {
          recordedChanges.add(`${change.field}\0${change.kind}`);
          streamLog.warn({ field: change.field, kind: change.kind }, 'upstream schema changed');
          hooks.schemaChanged?.(stream, change);
        }
      };
    };

    /** The reject-share rule, for a checkpoint's rejects known before (`first` given) or after its load. */
    function checkShare(extracted: number, rejected: number, first: Reject | undefined): void {
      const share = extracted > 0 ? rejected / extracted : 0;
      if (rejected === 0 || share <= maxShare) return;
      throw new EtlError(
        'ETL_REJECTS_EXCEEDED',
        `${rejected} of ${extracted} records (${percent(share)}) failed their schema, more than the ${percent(maxShare)} allowed (REJECT_MAX_SHARE)${first ? `: ${scrub(first.reason)}. Sample: ${sampleOf(first.payload, scrub)}` : ''}. Nothing of this batch was written and the watermark stays: fix the upstream or the stream's schema, then run again`,
        { details: { rejected, extracted } },
      );
    }

    async function commit(checkpoint: Checkpoint<C>): Promise<number> {
      const rejects = checkpoint.rejects ?? [];
      try {
        checkShare(checkpoint.extracted, rejects.length, rejects[0]);
      } catch (error) {
        (await recordChanges(db, checkpoint.changes ?? []))?.();
        throw error;
      }
      // The range partitions these rows need, created ahead in short transactions of their own; a range that
      // cannot be made now (a lock not granted) loads into the DEFAULT partition instead.
      const partitions = await preparePartitions(db, checkpoint.writes);
      if (partitions.failed.length > 0) streamLog.warn({ failed: partitions.failed }, 'partition not created ahead');
      let announce: (() => void) | undefined;
      const outcome = await db.transaction(async (tx) => {
        await checkpoint.before?.(tx);
        const done: StreamedLoad = { extracted: checkpoint.extracted, loaded: 0, rejected: rejects.length };
        for (const write of checkpoint.writes) done.loaded += await tx.writeRows(write.target, write.rows);
        if (checkpoint.load) {
          // Rows that stream are not known ahead: their partitions are made as each batch is written.
          const streamed = await checkpoint.load(creatingPartitions(tx, db), (batch) =>
            writeRejects(tx, schemas, stream, runId, batch, scrub),
          );
          done.extracted += streamed.extracted;
          done.loaded += streamed.loaded;
          done.rejected += streamed.rejected;
          checkShare(done.extracted, done.rejected, undefined);
        }
        await checkpoint.after?.(tx, { ...done, runId });
        for (const [name, group] of groupByStream(rejects, stream)) {
          await writeRejects(tx, schemas, name, runId, group, scrub);
        }
        announce = await recordChanges(tx, checkpoint.changes ?? []);
        if (checkpoint.cursor !== undefined) await writeWatermark(tx, schemas, stream, checkpoint.cursor, runId);
        // The counts commit with the rows: a run whose process dies is closed with exactly what it loaded.
        await runLog.progress(
          runId,
          {
            rowsExtracted: counts.rowsExtracted + done.extracted,
            rowsLoaded: counts.rowsLoaded + done.loaded,
            rowsRejected: counts.rowsRejected + done.rejected,
          },
          tx,
        );
        return done;
      });
      announce?.();
      hooks.checkpointCommitted?.(stream);
      counts.rowsExtracted += outcome.extracted;
      counts.rowsLoaded += outcome.loaded;
      counts.rowsRejected += outcome.rejected;
      if (outcome.rejected > 0) {
        streamLog.warn({ rejected: outcome.rejected, first: rejects[0]?.reason }, 'records rejected');
      }
      // The counts were just written with the checkpoint.
      progressAt = Date.now();
      report(checkpoint.progress);
      return outcome.loaded;
    }

    const stopIfAborted = () => {
      if (signal.aborted) {
        throw new EtlError('ETL_ABORTED', 'stopped by shutdown; the next run resumes from the last checkpoint');
      }
    };

    /**
     * Records the run's end. While the database is unavailable it tries again, so the run is recorded once the
     * database is back: for up to RECORD_END_FOR_MS, and not past a stop (the heartbeat rule then closes it).
     */
    async function recordEnd(status: 'succeeded' | 'failed', error: string | undefined): Promise<void> {
      const giveUpAt = Date.now() + RECORD_END_FOR_MS;
      for (let wait = 250; ; wait = Math.min(wait * 2, RECORD_RETRY_MAX_MS)) {
        try {
          await runLog.finish(runId, status, counts, error);
          return;
        } catch (e) {
          if (!isEtlError(e, 'ETL_DB_UNAVAILABLE') || signal.aborted || Date.now() + wait > giveUpAt) {
            streamLog.error({ err: e, status }, 'cannot record run');
            return;
          }
          if (wait === 250)
            streamLog.warn({ status }, "database unavailable: the run's end is recorded once it is back");
          await sleep(wait, undefined, { signal }).catch(() => {});
        }
      }
    }

    let failure: { error: unknown } | undefined;
    try {
      const cursor = await readWatermark<C>(db, schemas, stream);
      streamLog.info({ cursor }, 'run started');
      await body({
        runId,
        stream,
        log: streamLog,
        signal,
        cursor,
        counts,
        commit,
        count: (loaded) => {
          for (const key of ['rowsExtracted', 'rowsLoaded', 'rowsRejected'] as const) counts[key] += loaded[key] ?? 0;
        },
        report: (progress) => report(progress),
        stopIfAborted,
      });
    } catch (error) {
      const stopped = definition.stopIsSuccess && signal.aborted && isEtlError(error, 'ETL_ABORTED');
      if (!stopped) failure = { error };
    }
    // Recorded apart from the body: a success whose end cannot be written yet is still a success.
    const message = failure && scrub(describeError(failure.error));
    await recordEnd(failure ? 'failed' : 'succeeded', message);
    alive(runId, false);
    const result: RunResult = failure
      ? {
          runId,
          job: runOptions.job,
          stream,
          status: 'failed',
          ...counts,
          error: message,
          cause: failure.error,
          durationMs: Date.now() - started,
        }
      : { runId, job: runOptions.job, stream, status: 'succeeded', ...counts, durationMs: Date.now() - started };
    if (failure) streamLog.error({ ...counts, error: message }, 'run failed');
    else streamLog.info({ ...counts, ms: result.durationMs }, 'run succeeded');
    hooks.runFinished?.(result);
    return result;
  }

  function runStream<Rec extends Record<string, unknown>, C>(
    stream: StreamDefinition<Rec, C>,
    runOptions: RunOptions,
  ): Promise<RunResult> {
    const contract = contractOf(stream.record, stream.contract);
    const target: WriteTarget = {
      table: `${schemas.staging}.${stream.table}`,
      columns: stream.columns,
      key: stream.key,
      onConflict: stream.onConflict,
      volatile: stream.volatile,
      // Every staging table has loaded_at: a rewritten row counts as loaded again, for the rollups.
      touch: 'loaded_at',
    };

    /** Splits a batch into rows (in column order) and rejects, after the contract's checks. */
    function prepareBatch(records: readonly unknown[]) {
      const inspected = contract
        ? inspectBatch(contract, records)
        : { records: [...records], incomplete: [], requiredMissing: [], changes: [] };
      const rows: unknown[][] = [];
      const rejects: Reject[] = inspected.incomplete.map(({ record, fields }) => ({
        reason: fields.map((f) => `${f}: required field absent`).join('; '),
        payload: record,
      }));
      const failedFields = inspected.incomplete.map(({ record, fields }) => ({ record, fields }));
      for (const raw of inspected.records) {
        const parsed = stream.record.safeParse(raw);
        if (parsed.success) {
          rows.push(stream.columns.map((c) => parsed.data[c]));
          continue;
        }
        rejects.push({ reason: describeIssues(parsed.error), payload: raw });
        failedFields.push({ record: raw, fields: parsed.error.issues.map((i) => String(i.path[0] ?? '')) });
      }
      const changes = [...inspected.changes, ...typeChanges(inspected.records, failedFields)];
      return { rows, rejects, changes, requiredMissing: inspected.requiredMissing };
    }

    return run<C>(
      { stream: stream.name, rejectMaxShare: stream.contract?.rejectMaxShare },
      runOptions,
      async (session) => {
        const batches = stream
          .extract({ cursor: session.cursor, signal: session.signal, log: session.log })
          [Symbol.asyncIterator]();
        const next = async () => {
          const item = await batches.next();
          return item.done ? null : { batch: item.value, ...prepareBatch(item.value.records) };
        };
        let current = await next();
        while (current) {
          const { batch, rows, rejects, changes, requiredMissing } = current;
          if (requiredMissing.length > 0) {
            const missing = requiredMissing.map((f) => ({
              field: f,
              kind: 'missing' as const,
              sample: batch.records[0],
            }));
            await session.commit({ writes: [], extracted: 0, changes: [...missing, ...changes] });
            throw new EtlError(
              'ETL_SCHEMA_DRIFT',
              `required field${requiredMissing.length > 1 ? 's' : ''} ${requiredMissing.map((f) => `"${f}"`).join(', ')} absent from all ${batch.records.length} records of a batch: the upstream renamed or dropped ${requiredMissing.length > 1 ? 'them' : 'it'}. Sample: ${sampleOf(batch.records[0], scrub)}. Nothing of this batch was written and the watermark stays: update the stream's schema (src/sources/…/schemas.ts), then run again`,
              { details: { fields: requiredMissing } },
            );
          }
          // Extract and validate the next batch while this one is written: the database and the
          // upstream (or the CPU validating) work at the same time. Only committed batches move the watermark.
          const upcoming = next();
          upcoming.catch(() => {});
          await session.commit({
            writes: [{ target, rows }],
            extracted: batch.records.length,
            rejects,
            changes,
            cursor: batch.cursor,
            progress: batch.progress,
          });
          // Stop between batches, never inside one: the next run resumes from the watermark just saved.
          session.stopIfAborted();
          current = await upcoming;
        }
      },
    );
  }

  return { run, runStream, abandonStale };
}

function groupByStream(rejects: readonly CheckpointReject[], own: string): Map<string, Reject[]> {
  const groups = new Map<string, Reject[]>();
  for (const reject of rejects) {
    const name = reject.stream ?? own;
    const group = groups.get(name) ?? [];
    group.push(reject);
    groups.set(name, group);
  }
  return groups;
}
