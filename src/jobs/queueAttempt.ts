import type { Db } from '../db/types.ts';
import { linkedAbort } from '../internal/abort.ts';
import type { Logger } from '../internal/logger.ts';
import { type QueueAttempt, type RunRow, succeededRunsOf } from '../pipeline/runLog.ts';
import type { Runner, RunResult } from '../pipeline/runner.ts';
import type { StreamDefinition } from '../sources/stream.ts';

/** What the queue executor knows of the attempt a worker is about to run. */
export interface QueueRun extends QueueAttempt {
  /** This attempt was started before (its worker was lost, or stopped and handed it back). */
  resumed: boolean;
  /** Aborted when this worker loses the job's lock. */
  lost: AbortController;
}

export interface AttemptScope {
  /** The runner the job's steps use during this attempt. */
  readonly runner: Runner;
  /** The job's signal: `stop` (shutdown, the timeout) or a lost lock. */
  readonly signal: AbortSignal;
  close(): void;
}

/**
 * What a queued job's attempt runs with. Every run it starts is recorded with the attempt (`etl.runs.queue_job`,
 * `queue_attempt`), so that:
 * - an attempt started before does not run again a step the attempt already finished: BullMQ may have lost the
 *   end of a run that succeeded (Redis unreachable as it ended) and handed the job to another worker; the
 *   succeeded run recorded in `etl.runs` then stands for that step;
 * - a lost lock stops a stream between batches without telling the stream: a batch asked for before the loss is
 *   still written (as a checkpoint in flight is), the next one is asked for and, if there is one, not written: the
 *   run fails with `ETL_WORKER_LOST` and the recovered job resumes from the watermark. A stream that has no batch
 *   left has loaded everything, and its run succeeds. (A stream told of the stop ends quietly, and that end could
 *   not be told from a finished one.)
 * `stop` aborts on shutdown and on the job's timeout; those are told to the stream as before.
 */
export function openAttempt(
  runner: Runner,
  deps: { db: Db; log: Logger },
  queue: QueueRun,
  stop: AbortController,
): AttemptScope {
  const attempt: QueueAttempt = { queueJob: queue.queueJob, attempt: queue.attempt };
  let finished: Promise<RunRow[]> | undefined;

  /** The succeeded run of this attempt that stands for this call of `stream`, if any (each stands for one call). */
  async function alreadyDone(stream: string): Promise<RunResult | undefined> {
    if (!queue.resumed) return undefined;
    finished ??= succeededRunsOf(deps.db, deps.db.schemas, attempt);
    const rows = await finished;
    const index = rows.findIndex((row) => row.stream === stream);
    const [row] = index < 0 ? [] : rows.splice(index, 1);
    if (!row) return undefined;
    deps.log.info(
      { job: row.job, stream, runId: row.id, queueJob: queue.queueJob },
      'already done by this attempt before the job was recovered: not run again',
    );
    return {
      runId: row.id,
      job: row.job,
      stream,
      status: 'succeeded',
      rowsExtracted: row.rows_extracted,
      rowsLoaded: row.rows_loaded,
      rowsRejected: row.rows_rejected,
      durationMs: new Date(row.finished_at ?? row.started_at).getTime() - new Date(row.started_at).getTime(),
    };
  }

  // Made on first use, as the job's signal is (Node builds a controller's signal lazily): a job that asks for
  // neither pays for neither, and a worker runs thousands of jobs a second.
  let either: { signal: AbortSignal; close(): void } | undefined;
  function eitherSignal() {
    if (either) return either.signal;
    const lost = queue.lost.signal;
    const linked = linkedAbort(stop.signal);
    const onLost = () => linked.controller.abort(lost.reason);
    if (lost.aborted) onLost();
    else lost.addEventListener('abort', onLost, { once: true });
    either = {
      signal: linked.controller.signal,
      close() {
        linked.dispose();
        lost.removeEventListener('abort', onLost);
      },
    };
    return either.signal;
  }

  return {
    get signal() {
      return eitherSignal();
    },
    runner: {
      async run(definition, options, body) {
        return (await alreadyDone(definition.stream)) ?? runner.run(definition, { ...options, attempt }, body);
      },
      async runStream(stream, options) {
        return (
          (await alreadyDone(stream.name)) ??
          runner.runStream(untilLockLost(stream, queue.lost.signal), { ...options, signal: stop.signal, attempt })
        );
      },
      abandonStale: () => runner.abandonStale(),
    },
    close() {
      either?.close();
    },
  };
}

/**
 * The stream, ending with the lost lock's error at the first batch asked for after the lock was lost. The stream is
 * not told: when it has no batch left, it ends as it would have.
 */
function untilLockLost<Rec extends Record<string, unknown>, C>(
  stream: StreamDefinition<Rec, C>,
  lost: AbortSignal,
): StreamDefinition<Rec, C> {
  return {
    ...stream,
    async *extract(context) {
      const batches = stream.extract(context)[Symbol.asyncIterator]();
      try {
        for (;;) {
          const askedAfterLoss = lost.aborted;
          const item = await batches.next();
          if (item.done) return;
          if (askedAfterLoss) throw lost.reason;
          yield item.value;
        }
      } finally {
        await batches.return?.();
      }
    },
  };
}
