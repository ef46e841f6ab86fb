import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../db/types.ts';
import { describeError, EtlError, isEtlError } from '../../internal/errors.ts';
import type { Logger } from '../../internal/logger.ts';
import type { BlockRef, EvmBlocksArgs } from '../../sources/evm/args.ts';
import { blockAtTime } from '../../sources/evm/blockAtTime.ts';
import type { EvmChain, EvmSettings } from '../../sources/evm/index.ts';
import { type EvmRows, type EvmTable, toEvmRows } from '../../sources/evm/rows.ts';
import { createRunLog, type RunCounts, type RunTrigger } from '../runLog.ts';
import type { RunResult, StreamProgress } from '../runner.ts';
import { readWatermark, writeWatermark } from '../watermarks.ts';
import { findCommonAncestor } from './commonAncestor.ts';
import { deleteEvmAbove, maxEvmBlock, readEvmHashes, writeEvmRange } from './evmStore.ts';

/**
 * Why not the stream runner: its contract is one stream → one staging table, each batch appended or merged
 * on its key. A range of EVM blocks is four tables that must land together, and a reorg must delete
 * orphaned rows across all four before the new branch loads — neither fits a stream's batch. This loader
 * keeps the runner's guarantees: the four tables and the watermark commit in one transaction per range,
 * every run is recorded in `etl.runs`, a rerun resumes from the watermark and adds nothing twice. EVM tolerates
 * no rejects: a block is stored whole or not at all, so a malformed record fails its range (`toEvmRows`).
 */

/** Reorgs are followed this deep; deeper ones fail with `ETL_REORG_TOO_DEEP`. Polygon has seen 150+. */
export const MAX_REORG_DEPTH = 1024;
/** `etl.runs` row counts are refreshed at most this often while a run goes. */
const PROGRESS_EVERY_MS = 1_000;

/** The watermark of a chain: the next block to load. */
export interface EvmCursor {
  next: number;
}

export const evmStreamName = (chainId: number) => `evm.${chainId}.blocks`;

export interface LoadEvmChainOptions {
  db: Db;
  log: Logger;
  chain: EvmChain;
  settings: EvmSettings;
  args: EvmBlocksArgs;
  job: string;
  trigger?: RunTrigger;
  signal?: AbortSignal;
  onProgress?: (progress: StreamProgress) => void;
  /** Following the head, called after each poll that loaded blocks (the job refreshes rollups from it). */
  onCaughtUp?: () => Promise<void>;
}

/**
 * Loads one chain: a backfill of `args.from`–`args.to`, or from the watermark (or `EVM_START_BLOCK`,
 * `EVM_START_DATE`, else the head) up to `head − confirmations`, and with `args.follow` on and on, polling
 * every `EVM_POLL_INTERVAL_MS`. `EVM_CONCURRENCY` ranges of `EVM_BATCH_SIZE` blocks are fetched while the
 * previous one loads.
 */
export async function loadEvmChain(options: LoadEvmChainOptions): Promise<RunResult> {
  const { db, chain, settings, args } = options;
  const { schemas } = db;
  const { chainId, fetcher } = chain;
  const signal = options.signal ?? new AbortController().signal;
  const stream = evmStreamName(chainId);
  const runLog = createRunLog(db, schemas);
  const started = Date.now();
  const runId = await runLog.start(options.job, stream, options.trigger ?? 'manual');
  const log = options.log.child({ stream, runId });
  const counts: RunCounts = { rowsExtracted: 0, rowsLoaded: 0, rowsRejected: 0 };
  /** Canonical hashes written by this run, by height: the parent check of the next range needs no query. */
  const recent = new Map<number, string>();
  let watermark: number | undefined;
  let stored = -1;
  let firstBlock = 0;
  let progressAt = 0;

  async function parentHashAt(height: number): Promise<string | undefined> {
    if (height < 0 || height > stored) return undefined;
    return recent.get(height) ?? (await readEvmHashes(db, schemas, chainId, height, height)).get(height);
  }

  async function write(range: EvmRows): Promise<void> {
    // A backfill moves the watermark only when it extends it, so an old range never rewinds the follower.
    const advance = watermark === undefined || (range.from <= watermark && range.to + 1 > watermark);
    const loaded = await db.transaction(async (tx) => {
      const inserted = await writeEvmRange(tx, schemas, chainId, range, range.from <= stored);
      if (advance) await writeWatermark(tx, schemas, stream, { next: range.to + 1 } satisfies EvmCursor, runId);
      return inserted;
    });
    if (advance) watermark = range.to + 1;
    stored = Math.max(stored, range.to);
    for (const [i, hash] of range.hashes.entries()) recent.set(range.from + i, hash);
    for (const height of recent.keys()) {
      if (recent.size <= MAX_REORG_DEPTH) break;
      recent.delete(height);
    }
    counts.rowsExtracted += Object.values(range.rows).reduce((n, rows) => n + rows.length, 0);
    counts.rowsLoaded += loaded;
  }

  async function rollback(ancestor: number, mismatchAt: number): Promise<void> {
    const rewind = watermark !== undefined && watermark > ancestor + 1;
    const orphaned = await db.transaction(async (tx) => {
      const blocks = await deleteEvmAbove(tx, schemas, chainId, ancestor);
      if (rewind) await writeWatermark(tx, schemas, stream, { next: ancestor + 1 } satisfies EvmCursor, runId);
      return blocks;
    });
    if (rewind) watermark = ancestor + 1;
    stored = Math.min(stored, ancestor);
    for (const height of [...recent.keys()]) if (height > ancestor) recent.delete(height);
    log.warn({ ancestor, mismatchAt, orphaned }, 'reorg: orphaned blocks deleted, loading the new branch');
  }

  function report(done: number, total: number, force = false): void {
    // Nothing left to load shows as a full bar, not an empty one.
    const shown = total <= 0 ? { done: 1, total: 1 } : { done: Math.max(0, done), total };
    options.onProgress?.({ stream, ...counts, ...shown });
    if (force || Date.now() - progressAt >= PROGRESS_EVERY_MS) {
      progressAt = Date.now();
      void runLog.progress(runId, counts).catch((e) => log.warn({ err: e }, 'cannot record progress'));
    }
  }

  /** Loads `next`–`last`, fetching ahead while each range loads. Returns where it stopped; `reorg` restarts. */
  async function loadUntil(next: number, last: number): Promise<{ next: number; reorg: boolean }> {
    const ahead = new AbortController();
    const fetchSignal = AbortSignal.any([signal, ahead.signal]);
    const queue: { rows: Promise<EvmRows>; ready?: EvmRows }[] = [];
    let scheduled = next;
    let inFlight = 0;
    // A slot is refilled as soon as its range arrives, not when the loads reach it, so `concurrency` fetches
    // stay in flight while ranges load; at most twice that many ranges wait in memory.
    const fill = () => {
      while (
        inFlight < settings.concurrency &&
        queue.length < settings.concurrency * 2 &&
        scheduled <= last &&
        !fetchSignal.aborted
      ) {
        const from = scheduled;
        const to = Math.min(last, from + settings.batchSize - 1);
        inFlight++;
        // Rows are built as soon as a range arrives, so that work overlaps the previous range's load.
        const rows = fetcher
          .fetch(from, to, fetchSignal)
          .then((raw) => toEvmRows(chainId, raw, settings.logFilter, chain.label))
          .finally(() => {
            inFlight--;
            fill();
          });
        const entry: (typeof queue)[number] = { rows };
        // Awaited in order below; the catch only quiets ranges dropped after a failure or reorg.
        rows.then((ready) => (entry.ready = ready)).catch(() => {});
        queue.push(entry);
        scheduled = to + 1;
      }
    };
    try {
      fill();
      for (let item = queue.shift(); item; item = queue.shift()) {
        const range = joinReady(await item.rows, queue);
        fill();
        const parent = await parentHashAt(range.from - 1);
        if (parent !== undefined && parent !== range.parentHash) {
          ahead.abort();
          const ancestor = await findCommonAncestor({
            db,
            schemas,
            chainId,
            fetcher,
            from: range.from - 1,
            maxDepth: MAX_REORG_DEPTH,
            signal,
          });
          await rollback(ancestor, range.from);
          return { next: ancestor + 1, reorg: true };
        }
        await write(range);
        next = range.to + 1;
        report(next - firstBlock, last - firstBlock + 1);
        if (signal.aborted) break;
      }
      return { next, reorg: false };
    } finally {
      ahead.abort();
    }
  }

  async function resolve(ref: BlockRef, head: number, endOfDay: boolean): Promise<number> {
    if ('block' in ref) return ref.block;
    const day = Date.parse(`${ref.date}T00:00:00Z`) / 1000;
    return endOfDay
      ? (await blockAtTime(fetcher, head, day + 86_400, signal)) - 1
      : blockAtTime(fetcher, head, day, signal);
  }

  async function startBlock(safeHead: number, head: number): Promise<number> {
    if (args.from) return resolve(args.from, head, false);
    if (watermark !== undefined) return watermark;
    if (settings.startBlock !== undefined) return settings.startBlock;
    if (settings.startDate) return resolve({ date: settings.startDate }, head, false);
    return Math.max(0, safeHead);
  }

  let result: RunResult;
  try {
    watermark = (await readWatermark<EvmCursor>(db, schemas, stream))?.next;
    stored = await maxEvmBlock(db, schemas, chainId);
    let head = await fetcher.head(signal);
    let next = await startBlock(head - chain.confirmations, head);
    const end = args.to ? await resolve(args.to, head, true) : undefined;
    if (end !== undefined && end < next) {
      throw new EtlError(
        'ETL_INPUT_INVALID',
        `Invalid arguments for evm-blocks: --to is block ${end}, before --from (block ${next})`,
      );
    }
    if (end !== undefined && !args.follow && end > head - chain.confirmations) {
      throw new EtlError(
        'ETL_INPUT_INVALID',
        `Invalid arguments for evm-blocks: --to ${end} is beyond block ${head - chain.confirmations}, the last with ${chain.confirmations} confirmations on chain ${chainId}: lower --to, or add --follow to wait for it`,
      );
    }
    firstBlock = next;
    let loadedBefore = 0;
    log.info({ from: next, to: end, follow: args.follow, head, confirmations: chain.confirmations }, 'run started');
    for (;;) {
      const target = Math.min(end ?? Number.POSITIVE_INFINITY, head - chain.confirmations);
      if (next <= target) {
        const outcome = await loadUntil(next, target);
        next = outcome.next;
        if (outcome.reorg) {
          head = await fetcher.head(signal);
          continue;
        }
      }
      report(next - firstBlock, Math.max(next, target + 1) - firstBlock, true);
      if (signal.aborted) {
        if (!args.follow) throw new EtlError('ETL_ABORTED', 'stopped; the next run resumes from the last checkpoint');
        break;
      }
      if ((end !== undefined && next > end) || !args.follow) break;
      if (counts.rowsLoaded > loadedBefore) await options.onCaughtUp?.();
      loadedBefore = counts.rowsLoaded;
      await sleep(settings.pollIntervalMs, undefined, { signal }).catch(() => {});
      if (signal.aborted) break;
      head = await fetcher.head(signal);
    }
    await runLog.finish(runId, 'succeeded', counts);
    result = { runId, job: options.job, stream, status: 'succeeded', ...counts, durationMs: Date.now() - started };
    log.info({ ...counts, next, ms: result.durationMs }, 'run succeeded');
  } catch (error) {
    // Following the head, a stop is how a run ends: what was loaded is committed.
    const stopped = args.follow && signal.aborted && isEtlError(error, 'ETL_ABORTED');
    const message = describeError(error);
    await runLog
      .finish(runId, stopped ? 'succeeded' : 'failed', counts, stopped ? undefined : message)
      .catch((e) => log.error({ err: e }, 'cannot record run'));
    result = stopped
      ? { runId, job: options.job, stream, status: 'succeeded', ...counts, durationMs: Date.now() - started }
      : {
          runId,
          job: options.job,
          stream,
          status: 'failed',
          ...counts,
          error: message,
          cause: error,
          durationMs: Date.now() - started,
        };
    if (!stopped) log.error({ ...counts, error: message }, 'run failed');
  }
  return result;
}

/**
 * When loading is the slower side, fetched ranges pile up; the ones already here that continue the chain
 * load with the first in one transaction — fewer commits and larger COPY batches. A range that does not
 * continue it (a reorg between fetches) is left for the next turn, whose parent check catches it.
 */
function joinReady(first: EvmRows, queue: { ready?: EvmRows }[]): EvmRows {
  const group = [first];
  for (let next = queue[0]?.ready; next && next.parentHash === group.at(-1)?.hashes.at(-1); next = queue[0]?.ready) {
    group.push(next);
    queue.shift();
  }
  if (group.length === 1) return first;
  const last = group.at(-1) as EvmRows;
  const rows = (table: EvmTable) => group.flatMap((r) => r.rows[table]);
  return {
    from: first.from,
    to: last.to,
    hashes: group.flatMap((r) => r.hashes),
    parentHash: first.parentHash,
    rows: {
      blocks: rows('blocks'),
      transactions: rows('transactions'),
      receipts: rows('receipts'),
      logs: rows('logs'),
    },
  };
}
