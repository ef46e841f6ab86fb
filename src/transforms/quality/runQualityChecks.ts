import type { Db } from '../../db/types.ts';
import { checkCowReconciliation } from './cowReconciliation.ts';
import { checkDuplicateKeys } from './duplicateKeys.ts';
import { checkEvmBlocks } from './evmBlocks.ts';
import { checkFreshness, type ScheduledJob } from './freshness.ts';
import { checkGaps } from './gaps.ts';
import { checkPriceJumps } from './priceJumps.ts';
import type { QualityResult } from './types.ts';

/** Checks whose failures are events (new bad points) rather than states: each failure is new. */
const EVENT_CHECKS = new Set(['price_jumps']);
/** A state check that last failed longer ago than this counts as newly failing again. */
const PREVIOUS_WINDOW_MS = 7 * 86_400_000;
/** The first price-jump check looks this far back from the newest point loaded. */
const FIRST_JUMP_WINDOW_MS = 86_400_000;
/** Price-jump results read back for the last `loadedThrough` (one per series a check judged). */
const JUMP_RESULTS_READ = 500;

export interface QualityRun {
  checkedAt: Date;
  results: QualityResult[];
  /** Failed results that were not failing at the previous check: what to alert on. */
  newlyFailed: QualityResult[];
}

/**
 * Runs every check, stores the results in `etl.quality_results` (one checked_at per run) and returns the
 * failures that are new since the previous run, so a lasting problem alerts once, not every hour.
 */
export async function runQualityChecks(
  db: Db,
  options: {
    jobs: readonly ScheduledJob[];
    priceJumpPct: number;
    now?: Date;
    /** `EVM_LOG_ADDRESSES`/`EVM_LOG_TOPICS` keep only some logs (see `checkEvmBlocks`). */
    evmLogsFiltered?: boolean;
  },
): Promise<QualityRun> {
  const checkedAt = options.now ?? new Date();
  const table = `${db.schemas.etl}.quality_results`;
  const since = await priceJumpsSince(db, table);
  const results = [
    ...(await checkFreshness(db, options.jobs, checkedAt)),
    ...(await checkGaps(db, checkedAt)),
    ...(await checkDuplicateKeys(db, undefined, checkedAt)),
    ...(await checkPriceJumps(db, { pct: options.priceJumpPct, since })),
    ...(await checkEvmBlocks(db, { logsFiltered: options.evmLogsFiltered })),
    ...(await checkCowReconciliation(db)),
  ];
  // The latest result of each check and subject in the last week (a window, not DISTINCT ON: MySQL has the
  // one, not the other; the week keeps the scan to recent rows, on the checked_at index).
  const previous = await db.query<{ check_name: string; subject: string; status: string }>(
    `SELECT check_name, subject, status FROM (
       SELECT check_name, subject, status,
         row_number() OVER (PARTITION BY check_name, subject ORDER BY checked_at DESC) AS latest
       FROM ${table} WHERE checked_at >= $1
     ) ranked WHERE latest = 1`,
    [new Date(checkedAt.getTime() - PREVIOUS_WINDOW_MS)],
  );
  const wasFailing = new Set(previous.filter((p) => p.status === 'failed').map((p) => `${p.check_name} ${p.subject}`));
  const newlyFailed = results.filter(
    (r) => r.status === 'failed' && (EVENT_CHECKS.has(r.check) || !wasFailing.has(`${r.check} ${r.subject}`)),
  );
  await db.writeRows(
    {
      table,
      columns: ['checked_at', 'check_name', 'subject', 'status', 'value', 'threshold', 'details'],
      key: ['check_name', 'subject', 'checked_at'],
      onConflict: 'ignore',
    },
    results.map((r) => [
      checkedAt,
      r.check,
      r.subject,
      r.status,
      r.value,
      r.threshold,
      JSON.stringify(r.details ?? {}),
    ]),
  );
  return { checkedAt, results, newlyFailed };
}

/**
 * Where the price-jump check starts: the newest `loaded_at` a previous check judged. Both ends are on the
 * database's clock, which stamps `loaded_at`, so a product clock that differs from it never judges a point twice
 * or skips one. The first check looks a day back from the newest point.
 */
async function priceJumpsSince(db: Db, table: string): Promise<Date> {
  const previous = await db.query<{ details: unknown }>(
    `SELECT details FROM ${table} WHERE check_name = 'price_jumps' ORDER BY checked_at DESC LIMIT ${JUMP_RESULTS_READ}`,
  );
  const through = previous
    .map((r) => (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as { loadedThrough?: string })
    .map((d) => Date.parse(d?.loadedThrough ?? ''))
    .filter((ms) => !Number.isNaN(ms));
  if (through.length > 0) return new Date(Math.max(...through));
  const [newest] = await db.query<{ at: Date | string | null }>(
    `SELECT max(loaded_at) AS at FROM ${db.schemas.staging}.coingecko_prices`,
  );
  return new Date((newest?.at ? new Date(newest.at).getTime() : 0) - FIRST_JUMP_WINDOW_MS);
}
