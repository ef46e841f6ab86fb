import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../db/types.ts';
import { EtlError } from '../../internal/errors.ts';
import type { BlockRef, EvmBlocksArgs } from '../../sources/evm/args.ts';
import { resolveBlockRef } from '../../sources/evm/blockAtTime.ts';
import type { EvmChain, EvmSettings } from '../../sources/evm/index.ts';
import { type EvmRows, type EvmTable, toEvmRows } from '../../sources/evm/rows.ts';
import type { RunTrigger } from '../runLog.ts';
import type { Runner, RunResult, RunSession, StreamProgress } from '../runner.ts';
import { findCommonAncestor } from './commonAncestor.ts';
import { deleteEvmAbove, deleteOtherBranches, evmWrites, maxEvmBlock, readEvmHashes } from './evmStore.ts';

/**
 * A chain goes through the one runner: each range is a checkpoint that writes the four tables (after
 * deleting rows of another branch at its heights) with the watermark in one transaction, and a reorg is a
 * checkpoint that deletes the orphaned blocks and rewinds it. EVM tolerates no rejects: a block is stored
 * whole or not at all, so a malformed record fails its range (`toEvmRows`).
 */

/** Reorgs are followed this deep; deeper ones fail with `ETL_REORG_TOO_DEEP`. Polygon has seen 150+. */
export const MAX_REORG_DEPTH = 1024;

/** The watermark of a chain: the next block to load, and the node's head when it was written (for the lag). */
export interface EvmCursor {
  next: number;
  head?: number;
}

export const evmStreamName = (chainId: number) => `evm.${chainId}.blocks`;

export interface LoadEvmChainOptions {
  db: Db;
  runner: Runner;
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
export function loadEvmChain(options: LoadEvmChainOptions): Promise<RunResult> {
  const { chain, args } = options;
  return options.runner.run<EvmCursor>(
    // Following the head, a stop is how a run ends: what was loaded is committed.
    { stream: evmStreamName(chain.chainId), rejectMaxShare: 0, stopIsSuccess: args.follow },
    { job: options.job, trigger: options.trigger, signal: options.signal, onProgress: options.onProgress },
    (session) => loadChain(options, session),
  );
}

async function loadChain(options: LoadEvmChainOptions, session: RunSession<EvmCursor>): Promise<void> {
  const { db, chain, settings, args } = options;
  const { schemas } = db;
  const { chainId, fetcher } = chain;
  const { signal, log, counts } = session;
  /** Canonical hashes written by this run, by height: the parent check of the next range needs no query. */
  const recent = new Map<number, string>();
  let watermark: number | undefined;
  let stored = -1;
  let firstBlock = 0;
  /** The node's latest block as last asked. */
  let head = -1;

  async function parentHashAt(height: number): Promise<string | undefined> {
    if (height < 0 || height > stored) return undefined;
    return recent.get(height) ?? (await readEvmHashes(db, schemas, chainId, height, height)).get(height);
  }

  async function write(range: EvmRows): Promise<void> {
    // A backfill moves the watermark only when it extends it, so an old range never rewinds the follower.
    const advance = watermark === undefined || (range.from <= watermark && range.to + 1 > watermark);
    // Rows may exist at these heights (a rerun, a branch loaded before): those of other blocks go first.
    const replace = range.from <= stored;
    await session.commit({
      writes: evmWrites(schemas, range),
      extracted: Object.values(range.rows).reduce((n, rows) => n + rows.length, 0),
      before: replace ? (tx) => deleteOtherBranches(tx, schemas, chainId, range) : undefined,
      cursor: advance ? { next: range.to + 1, head } : undefined,
      progress: progress(range.to + 1),
    });
    if (advance) watermark = range.to + 1;
    stored = Math.max(stored, range.to);
    for (const [i, hash] of range.hashes.entries()) recent.set(range.from + i, hash);
    for (const height of recent.keys()) {
      if (recent.size <= MAX_REORG_DEPTH) break;
      recent.delete(height);
    }
  }

  async function rollback(ancestor: number, mismatchAt: number): Promise<void> {
    const rewind = watermark !== undefined && watermark > ancestor + 1;
    let orphaned = 0;
    await session.commit({
      writes: [],
      extracted: 0,
      before: async (tx) => {
        orphaned = await deleteEvmAbove(tx, schemas, chainId, ancestor);
      },
      cursor: rewind ? { next: ancestor + 1, head } : undefined,
    });
    if (rewind) watermark = ancestor + 1;
    stored = Math.min(stored, ancestor);
    for (const height of [...recent.keys()]) if (height > ancestor) recent.delete(height);
    log.warn({ ancestor, mismatchAt, orphaned }, 'reorg: orphaned blocks deleted, loading the new branch');
  }

  /** Blocks done of the ones this run set out to load; nothing left to load shows as a full bar. */
  let lastTarget = 0;
  function progress(next: number, target = lastTarget): { done: number; total: number } {
    lastTarget = target;
    const total = target + 1 - firstBlock;
    return total <= 0 ? { done: 1, total: 1 } : { done: Math.max(0, next - firstBlock), total };
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
        lastTarget = last;
        await write(range);
        next = range.to + 1;
        if (signal.aborted) break;
      }
      return { next, reorg: false };
    } finally {
      ahead.abort();
    }
  }

  const resolve = (ref: BlockRef, head: number, endOfDay: boolean) =>
    resolveBlockRef(fetcher, ref, head, endOfDay, signal);

  async function startBlock(safeHead: number, head: number): Promise<number> {
    if (args.from) return resolve(args.from, head, false);
    if (watermark !== undefined) return watermark;
    if (settings.startBlock !== undefined) return settings.startBlock;
    if (settings.startDate) return resolve({ date: settings.startDate }, head, false);
    return Math.max(0, safeHead);
  }

  watermark = session.cursor?.next;
  stored = await maxEvmBlock(db, schemas, chainId);
  head = await fetcher.head(signal);
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
    session.report(progress(next, Math.max(next - 1, target)));
    if (signal.aborted) {
      if (!args.follow) session.stopIfAborted();
      break;
    }
    if ((end !== undefined && next > end) || !args.follow) break;
    if (counts.rowsLoaded > loadedBefore) await options.onCaughtUp?.();
    loadedBefore = counts.rowsLoaded;
    await sleep(settings.pollIntervalMs, undefined, { signal }).catch(() => {});
    if (signal.aborted) break;
    head = await fetcher.head(signal);
  }
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
