import { type Clock, systemClock } from '../../internal/clock.ts';
import { EtlError } from '../../internal/errors.ts';
import { tableWrite } from '../../tables/defineTable.ts';
import { duneCowTrades } from '../../tables/dune.ts';
import { defineStream, type ExtractContext } from '../stream.ts';
import type { DuneClient } from './client.ts';
import { cowTradeRecord } from './cowTradeRecord.ts';
import { type ResultsMode, readQueryResult } from './resultPages.ts';
import { parseDuneTimestamp } from './values.ts';

/** Watermark of the CoW trades: the last UTC day fully loaded, and an execution read part-way if a run stopped. */
export interface CowCursor {
  /** `YYYY-MM-DD`: the CoW queries end yesterday, so a result run on day D covers everything up to D − 1. */
  through?: string;
  pending?: { queryId: number; executionId: string; offset: number };
}

export interface CowStreamOptions {
  queryId: number;
  /** `target_buy_token` / `target_sell_token`. */
  params: Record<string, string>;
  mode: ResultsMode;
  pageSize: number;
  pollIntervalMs: number;
  /**
   * The days a result holds: `day` (the update query: the day before its run, the default) or `month` (the init
   * query: that day's month up to it). The watermark never moves over a day before them it does not already cover.
   */
  covers?: 'day' | 'month';
  /**
   * A day after the watermark through which every day already holds rows (loaded by a backfill): the watermark may
   * move over it as if it stood there. The job checks the rows; the stream only receives the day.
   */
  storedThrough?: string;
  now?: Clock;
}

/** Watermark key of the CoW trades, shared by `dune-init` and `dune-update`. */
export const COW_STREAM = 'dune.cow_trades';

/** The UTC day before an instant, `YYYY-MM-DD`. */
export function dayBefore(instant: Date): string {
  return new Date(instant.getTime() - 86_400_000).toISOString().slice(0, 10);
}

/** The UTC day before a day, both `YYYY-MM-DD`. */
export function dayBeforeDay(day: string): string {
  return dayBefore(new Date(`${day}T00:00:00Z`));
}

/**
 * A CoW Protocol trades query (init or update) → `staging.dune_cow_trades`, one batch per result page, keyed by
 * (tx_hash, order_uid, evt_index) so reruns add nothing. In `execute` mode a run that stops between pages leaves
 * the execution in its watermark and the next run reads on from there instead of paying for a new one.
 */
export function cowTradesStream(client: DuneClient, options: CowStreamOptions) {
  const now = options.now ?? systemClock;
  return defineStream({
    name: COW_STREAM,
    ...tableWrite(duneCowTrades),
    onConflict: 'update',
    record: cowTradeRecord,
    async *extract({ cursor, signal, log }: ExtractContext<CowCursor>) {
      const pending = options.mode === 'execute' ? cursor?.pending : undefined;
      const resume = pending?.queryId === options.queryId ? pending : undefined;
      const pages = readQueryResult(client, { ...options, signal, log, resume });
      const stored = options.storedThrough;
      const from = stored && (!cursor?.through || cursor.through < stored) ? stored : cursor?.through;
      let missed: { after: string; before: string } | undefined;
      let stale: { covered: string; through: string | undefined; ran: string | undefined } | undefined;
      for await (const page of pages) {
        const done = page.offset + page.rows.length;
        const progress = { done, total: page.metadata.total_row_count };
        if (page.nextOffset !== undefined) {
          const next =
            options.mode === 'execute'
              ? { queryId: options.queryId, executionId: page.executionId, offset: page.nextOffset }
              : undefined;
          yield { records: page.rows, cursor: { through: from, pending: next }, progress };
          continue;
        }
        if (done === 0) {
          // WETH–USDC trades every day: an empty result is an upstream that has not caught up (or a query gone
          // wrong), not a quiet day. The run fails rather than succeed with nothing, day after day, while the days
          // pile up behind the watermark (past the month's end only a backfill by hand reaches them).
          throw new EtlError(
            'ETL_UPSTREAM_EMPTY',
            `The result of Dune query ${options.queryId} holds no CoW trades, where every day has some: Dune's ` +
              'tables may not have caught up yet, or the query changed. Nothing was written and the watermark stays; ' +
              'the retries or the next run ask again. If it lasts, open the query on dune.com and check its result.',
            { retryable: true, details: { queryId: options.queryId } },
          );
        }
        const covered = dayBefore(parseDuneTimestamp(page.submittedAt) ?? now());
        // A result holds its query's days only: after missed runs the day(s) between the watermark and them were
        // never received, so the watermark stays below them (their rows still load).
        const first = options.covers === 'month' ? `${covered.slice(0, 8)}01` : covered;
        const gap = from !== undefined && from < dayBeforeDay(first);
        if (gap) missed = { after: from ?? '', before: first };
        const through = from && (gap || from > covered) ? from : covered;
        // Latest mode reads what Dune last ran: a result run before today lacks yesterday. Its rows load, the run
        // fails: a green run here would repeat every day while the days pile up (and, past the month's end, could
        // only be backfilled by hand).
        if (options.mode === 'latest' && covered < dayBefore(now()))
          stale = { covered, through, ran: page.submittedAt };
        yield { records: page.rows, cursor: { through }, progress };
      }
      if (stale) {
        throw new EtlError(
          'ETL_UPSTREAM_STALE',
          `The latest result of Dune query ${options.queryId} was run at ${stale.ran ?? 'an unknown time'} and holds ` +
            `trades through ${stale.covered} only; yesterday (${dayBefore(now())}) is not in it. Its rows are stored ` +
            `and the watermark is at ${stale.through ?? 'none'}. Run the query on dune.com (or schedule it there daily ` +
            'after 00:00 UTC) and rerun, or set DUNE_RESULTS_MODE=execute to have crypto-etl run it.',
          { retryable: true, details: { queryId: options.queryId, covered: stale.covered, ran: stale.ran } },
        );
      }
      if (missed) {
        // The result's rows are stored; the days between were never received: the run fails instead of succeeding.
        throw new EtlError(
          'ETL_DATA_GAP',
          `CoW trades after ${missed.after} and before ${missed.before} are not loaded: query ${options.queryId} holds ` +
            `${missed.before} onwards only. Its rows are stored and the watermark stays at ${missed.after}. Load the ` +
            'days between with the month-to-date query: set DUNE_INIT_QUERY_ID (or run `crypto-etl dune push`), then ' +
            '`crypto-etl run dune-update` (with DUNE_RESULTS_MODE=latest, run the query on dune.com first).',
          { details: { through: missed.after, resultFrom: missed.before } },
        );
      }
    },
  });
}
