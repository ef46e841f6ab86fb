import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import type { Db } from '../../db/types.ts';
import { EtlError } from '../../internal/errors.ts';
import type { BlockRef, EvmBlocksArgs } from '../../sources/evm/args.ts';
import { resolveBlockRef } from '../../sources/evm/blockAtTime.ts';
import type { EventSpec } from '../../sources/evm/events/abi.ts';
import type { ContractSet, StartRef, Token } from '../../sources/evm/events/contracts.ts';
import { createLogDecoder, type RawLog } from '../../sources/evm/events/decodeLog.ts';
import type { LogRange, LogsFetcher } from '../../sources/evm/events/getLogs.ts';
import type { RangeFetcher } from '../../sources/evm/fetchRange.ts';
import type { RunTrigger } from '../runLog.ts';
import type { CheckpointReject, Runner, RunResult, RunSession, StreamProgress } from '../runner.ts';
import {
  deleteEventsAbove,
  deleteOtherEventBranches,
  ensureEventTables,
  eventTarget,
  tokenWrite,
} from './eventsStore.ts';

/**
 * Events go through the one runner like blocks: each range of `eth_getLogs` is a checkpoint writing every event
 * table of the set, its rejects and the watermark in one transaction; a reorg is a checkpoint that deletes the
 * orphaned rows and rewinds it.
 *
 * Reject share: a log the ABI cannot decode was served correctly by the node — it is an emitter the ABI does not
 * describe (an ERC-721 `Transfer` shares topic0 with ERC-20's but indexes one more argument; a proxy upgraded to
 * another layout). It is kept whole in `etl.rejects` and its range loads. Only when more than half of a range
 * fails is the ABI or the address list wrong rather than a few odd emitters: the run fails, nothing written.
 */
export const EVENTS_REJECT_MAX_SHARE = 0.5;

/**
 * Logs requested, fetched or decoded and not yet written, per set and chain: fetching ahead stops here. Memory is
 * bounded by rows in flight rather than by ranges (a range of a dense set holds a hundred times the logs of a
 * sparse one); with the fetcher's ~5,000 logs per answer it is four answers, ~50 MB.
 */
export const ROWS_IN_FLIGHT = 20_000;

/**
 * A load allocates ~2.5 KB per log that lives for milliseconds (the JSON answer, the parsed logs, the rows, their
 * COPY text): gigabytes over a backfill. Left to its defaults, V8 lets the heap grow up to 4× what its last full
 * collection kept — and with concurrent marking that includes what was allocated meanwhile — before the next
 * one: 560 MB of heap for ~50 MB live, 699 MB peak RSS at 1,000,000 events. While a load runs the growth per
 * collection is held to this (`--heap-growing-percent`, which V8 reads at each full collection): 243 MB peak RSS.
 */
const HEAP_GROWING_PERCENT = 50;
let loadsRunning = 0;

/** Runs a load with V8's heap growth held; the default comes back when no load runs. */
async function withHeldHeapGrowth<T>(load: () => Promise<T>): Promise<T> {
  if (loadsRunning++ === 0) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  try {
    return await load();
  } finally {
    if (--loadsRunning === 0) setFlagsFromString('--heap-growing-percent=0');
  }
}

/** Range ends remembered in the watermark for the reorg walk: this many blocks below the newest. */
const REORG_MEMORY_BLOCKS = 1024;

/** The watermark of a set on a chain: the next block, and hashes of recent range ends (newest last). */
export interface EventsCursor {
  next: number;
  ends: [number, string][];
}

export const eventsStreamName = (chainId: number, set: string) => `evm.${chainId}.events.${set}`;

export interface EventsChain {
  chainId: number;
  fetcher: Pick<RangeFetcher, 'head' | 'headers'>;
  logs: LogsFetcher;
}

export interface LoadEventSetOptions {
  db: Db;
  runner: Runner;
  chain: EventsChain;
  set: ContractSet;
  specs: readonly EventSpec[];
  tokens?: readonly Token[];
  settings: {
    concurrency: number;
    pollIntervalMs: number;
    start?: StartRef;
    /** Fetch-ahead bound in logs (default `ROWS_IN_FLIGHT`). */
    rowsInFlight?: number;
  };
  args: EvmBlocksArgs;
  job: string;
  trigger?: RunTrigger;
  signal?: AbortSignal;
  onProgress?: (progress: StreamProgress) => void;
  /** `--follow`: called when the load has reached the head after writing or deleting rows (the job refreshes its rollups). */
  onCaughtUp?: () => Promise<void>;
}

/**
 * Loads one contract set on one chain: from `--from` (or the watermark, or the set's start block) to `--to` (or
 * the set's end block, or the head), with `--follow` on and on. Ranges of the fetcher's span are fetched up to
 * `concurrency` at a time and `rowsInFlight` logs ahead, decoded as they arrive, while the previous one is written.
 */
export function loadEventSet(options: LoadEventSetOptions): Promise<RunResult> {
  const { chain, set, args } = options;
  return options.runner.run<EventsCursor>(
    {
      stream: eventsStreamName(chain.chainId, set.name),
      rejectMaxShare: EVENTS_REJECT_MAX_SHARE,
      stopIsSuccess: args.follow,
    },
    { job: options.job, trigger: options.trigger, signal: options.signal, onProgress: options.onProgress },
    (session) => withHeldHeapGrowth(() => loadSet(options, session)),
  );
}

/** A range once decoded: its raw logs are not kept (only the rejected ones, for `etl.rejects`). */
interface DecodedRange {
  range: Omit<LogRange, 'logs'>;
  /** Logs the node sent (rows + rejects + removed). */
  extracted: number;
  rows: unknown[][][];
  rejects: CheckpointReject[];
  hashes: string[];
}

async function loadSet(options: LoadEventSetOptions, session: RunSession<EventsCursor>): Promise<void> {
  const { db, chain, set, specs, settings, args } = options;
  const { schemas } = db;
  const { chainId, fetcher, logs } = chain;
  const { signal, log } = session;
  const targets = specs.map((s) => eventTarget(schemas, s));
  const tableOf = new Map(specs.map((s, i) => [s.table, i]));
  const decode = createLogDecoder(specs);
  const query = { addresses: set.addresses, topic0: specs.map((s) => s.selector) };

  let watermark = session.cursor?.next;
  let ends: [number, string][] = session.cursor?.ends ?? [];
  /** Heights below this may hold rows: a range there replaces what another branch or an older run left. */
  let stored = (watermark ?? 0) - 1;

  // Tables created or widened from the ABI, and the token list, in a checkpoint of their own. The token list is
  // configuration, not records of the node: written beside the tables, not counted in the run's rows loaded (which
  // would then pass the events extracted).
  await session.commit({
    writes: [],
    extracted: 0,
    before: async (tx) => {
      await ensureEventTables(tx, db, specs);
      if (!options.tokens?.length) return;
      const tokens = tokenWrite(schemas, chainId, options.tokens);
      await tx.writeRows(tokens.target, tokens.rows);
    },
  });

  function toRows(range: LogRange): DecodedRange {
    const rows: unknown[][][] = specs.map(() => []);
    const rejects: CheckpointReject[] = [];
    const hashes = new Set<string>();
    for (const raw of range.logs) {
      if (raw.removed) continue;
      hashes.add(raw.blockHash.toLowerCase());
      const decoded = decode(chainId, raw as RawLog);
      if (decoded.ok) rows[tableOf.get(decoded.spec.table) as number]?.push(decoded.row);
      else rejects.push({ reason: decoded.reason, payload: raw });
    }
    const { logs: raw, ...rest } = range;
    return { range: rest, extracted: raw.length, rows, rejects, hashes: [...hashes] };
  }

  /** Rows written or deleted since the last `onCaughtUp`. */
  let changed = false;
  let firstBlock = 0;
  let lastTarget = 0;
  const progress = (next: number, target = lastTarget) => {
    lastTarget = target;
    const total = target + 1 - firstBlock;
    return total <= 0 ? { done: 1, total: 1 } : { done: Math.max(0, next - firstBlock), total };
  };

  async function write(item: DecodedRange): Promise<void> {
    const { range } = item;
    const advance = watermark === undefined || (range.from <= watermark && range.to + 1 > watermark);
    const replace = range.from <= stored;
    const newEnds = advance ? remember([...ends, [range.to, range.toHash]]) : ends;
    await session.commit({
      writes: targets.map((target, i) => ({ target, rows: item.rows[i] as unknown[][] })),
      extracted: item.extracted,
      rejects: item.rejects,
      before: replace
        ? (tx) => deleteOtherEventBranches(tx, schemas, specs, chainId, { ...range, hashes: item.hashes })
        : undefined,
      cursor: advance ? { next: range.to + 1, ends: newEnds } : undefined,
      progress: progress(range.to + 1),
    });
    if (advance) {
      watermark = range.to + 1;
      ends = newEnds;
    }
    stored = Math.max(stored, range.to);
    changed = true;
  }

  /** The highest remembered range end still on the node's chain; everything above it is orphaned. */
  async function rollback(mismatchAt: number): Promise<number> {
    const known = await logs.hashesAt(
      ends.map(([n]) => n),
      signal,
    );
    const kept = ends.filter(([n, hash]) => known.get(n) === hash);
    const ancestor = kept.at(-1)?.[0];
    if (ancestor === undefined) {
      throw new EtlError(
        'ETL_REORG_TOO_DEEP',
        `Chain ${chainId}, set ${set.name}: the node's chain left the loaded one below every remembered block (down to ${ends[0]?.[0] ?? 'none'}): reload with \`crypto-etl run evm-events --from <block before the fork> --to ${mismatchAt}\``,
        { details: { chainId, set: set.name, mismatchAt } },
      );
    }
    let orphaned = 0;
    await session.commit({
      writes: [],
      extracted: 0,
      before: async (tx) => {
        orphaned = await deleteEventsAbove(tx, schemas, specs, chainId, ancestor);
      },
      cursor: { next: ancestor + 1, ends: kept },
    });
    watermark = ancestor + 1;
    ends = kept;
    stored = Math.min(stored, ancestor);
    changed = true;
    log.warn({ ancestor, mismatchAt, orphaned }, 'reorg: orphaned events deleted, loading the new branch');
    return ancestor;
  }

  const budget = settings.rowsInFlight ?? ROWS_IN_FLIGHT;
  const fetchOptions = { timestamps: set.blockTimes === true };

  /**
   * Loads `next`–`last`, fetching ahead: at most `concurrency` requests, and no new one while the logs expected of
   * it and those already held (requested, fetched or decoded, not yet written) would pass the budget. Before the
   * first answer the density is unknown: one request at a time. Returns where it stopped; `reorg` restarts there.
   */
  async function loadUntil(next: number, last: number): Promise<{ next: number; reorg: boolean }> {
    const ahead = new AbortController();
    const fetchSignal = AbortSignal.any([signal, ahead.signal]);
    const queue: { held: number; item: Promise<DecodedRange> }[] = [];
    /** The sum of `held` over the queue and the range being written. */
    let held = 0;
    let scheduled = next;
    const fill = (writing: number) => {
      while (queue.length + writing < settings.concurrency && scheduled <= last && !fetchSignal.aborted) {
        const from = scheduled;
        const to = Math.min(last, from + logs.span - 1);
        const expected = logs.expected(to - from + 1);
        if (queue.length + writing > 0 && (expected === undefined || held + expected > budget)) break;
        const entry = { held: expected ?? 0, item: undefined as unknown as Promise<DecodedRange> };
        held += entry.held;
        entry.item = logs.fetch(query, from, to, fetchSignal, fetchOptions).then((range) => {
          // What the answer holds, in place of what was expected of it.
          held += range.logs.length - entry.held;
          entry.held = range.logs.length;
          return toRows(range);
        });
        entry.item.catch(() => {});
        queue.push(entry);
        scheduled = to + 1;
      }
    };
    try {
      fill(0);
      for (let entry = queue.shift(); entry; entry = queue.shift()) {
        const item = await entry.item;
        fill(1);
        const parent = ends.at(-1);
        if (parent && parent[0] === item.range.from - 1 && parent[1] !== item.range.parentHash) {
          ahead.abort();
          const ancestor = await rollback(item.range.from);
          return { next: ancestor + 1, reorg: true };
        }
        await write(item);
        held -= entry.held;
        next = item.range.to + 1;
        if (signal.aborted) break;
        fill(0);
      }
      return { next, reorg: false };
    } finally {
      ahead.abort();
    }
  }

  const resolve = (ref: BlockRef, head: number, endOfDay: boolean) =>
    resolveBlockRef(fetcher, ref, head, endOfDay, signal);

  let head = await fetcher.head(signal);
  const start = set.startBlock ?? settings.start;
  let next: number;
  if (args.from) next = await resolve(args.from, head, false);
  else if (watermark !== undefined) next = watermark;
  else if (start !== undefined) next = await resolve(typeof start === 'number' ? { block: start } : start, head, false);
  else next = head;
  if (args.from) stored = Math.max(stored, head);
  const end = args.to ? await resolve(args.to, head, true) : set.endBlock;
  if (end !== undefined && end < next && args.to) {
    throw new EtlError(
      'ETL_INPUT_INVALID',
      `Invalid arguments for evm-events: --to is block ${end}, before --from (block ${next})`,
    );
  }
  firstBlock = next;
  log.info({ set: set.name, from: next, to: end, follow: args.follow, head, span: logs.span }, 'run started');
  for (;;) {
    const target = Math.min(end ?? Number.POSITIVE_INFINITY, head);
    if (next <= target) {
      lastTarget = target;
      const outcome = await loadUntil(next, target);
      next = outcome.next;
      if (outcome.reorg) {
        head = await fetcher.head(signal);
        continue;
      }
    } else if (!args.from && ends.length > 0 && !signal.aborted) {
      // Nothing new: the newest block loaded may still have been replaced (a reorg of the same height).
      const newest = ends.at(-1) as [number, string];
      const now = await logs.hashesAt([newest[0]], signal);
      if (now.get(newest[0]) !== undefined && now.get(newest[0]) !== newest[1]) {
        next = (await rollback(newest[0])) + 1;
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
    if (changed) {
      changed = false;
      await options.onCaughtUp?.();
    }
    await sleep(settings.pollIntervalMs, undefined, { signal }).catch(() => {});
    if (signal.aborted) break;
    head = await fetcher.head(signal);
  }
}

/** Range ends within `REORG_MEMORY_BLOCKS` of the newest (at least two kept). */
function remember(ends: [number, string][]): [number, string][] {
  const newest = ends.at(-1)?.[0] ?? 0;
  const from = ends.findIndex(([n]) => n >= newest - REORG_MEMORY_BLOCKS);
  return ends.slice(Math.max(0, Math.min(from, ends.length - 2)));
}
