import { type Clock, systemClock } from '../../internal/clock.ts';
import { EtlError } from '../../internal/errors.ts';
import { coincapAssetHistory } from '../../tables/coincap.ts';
import { tableWrite } from '../../tables/defineTable.ts';
import { defineStream, type ExtractContext } from '../stream.ts';
import type { CoinCapClient, HistoryInterval } from './client.ts';
import { historyRecord } from './schemas.ts';

/** Per asset, the time (ms) of the last point received: the next run starts just after it. */
export type HistoryCursor = Record<string, number>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** One request covers at most this span (720 hourly or 365 daily points), well inside CoinCap's range limits. */
const WINDOW_MS: Record<HistoryInterval, number> = { d1: 365 * DAY_MS, h1: 30 * DAY_MS };
const STEP_MS: Record<HistoryInterval, number> = { d1: DAY_MS, h1: HOUR_MS };

/**
 * Where a first run starts: hourly points from the start of the current month (UTC), as CoinGecko's prices do,
 * so the two line up hour by hour; daily points from a year before today.
 */
export function firstStart(interval: HistoryInterval, now: Date): number {
  if (interval === 'h1') return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - 365 * DAY_MS;
}

/**
 * CoinGecko and CoinCap answer a coin's history from its listing on, so before any point of a coin is stored an
 * empty window may be the time before its listing. A later window whose first point lies within one step of its
 * start shows the coin listed by then (a listing exactly there aside, which is told the same way): the empty
 * window before it was a passing fault, and storing the later points would move the cursor past it for good.
 */
function emptyWindowWasFault(
  emptyFrom: number | undefined,
  windowFrom: number,
  firstPoint: number,
  stepMs: number,
): boolean {
  return emptyFrom !== undefined && Number.isFinite(firstPoint) && firstPoint < windowFrom + stepMs;
}

/** One coin whose empty window came before points: what was asked, and where the points began. */
interface EmptyWindow {
  coin: string;
  from: number;
  to: number;
  firstPoint: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The run's failure for coins stopped by `emptyWindowWasFault` (retryable: the retries or the next run ask again). */
function emptyWindowsError(windows: readonly EmptyWindow[]): EtlError {
  const each = windows.map(
    (w) => `${w.coin}: nothing for ${iso(w.from)} – ${iso(w.to)}, yet points from ${iso(w.firstPoint)} on`,
  );
  return new EtlError(
    'ETL_UPSTREAM_EMPTY',
    `CoinCap answered an empty history window before points of the same coin (${each.join('; ')}): the coin was ` +
      'listed by then, so the empty answer was a passing fault. Nothing of those coins from the empty window on was ' +
      'stored and their watermarks did not move; the other coins loaded. The retries or the next run ask again. A ' +
      `coin listed exactly where its points begin: \`crypto-etl run coincap-history --from ${iso(windows[0]?.firstPoint ?? 0)}\`.`,
    { retryable: true, details: { windows } },
  );
}

export interface HistoryOptions {
  interval: HistoryInterval;
  /** CoinCap asset ids (the ids of the major coins equal CoinGecko's: bitcoin, ethereum, usd-coin…). */
  assets: readonly string[];
  /** Re-extract from this instant (ms) whatever the watermark, e.g. `run coincap-history --from 2025-01-01`. */
  fromMs?: number;
  /** Stop at this instant (ms) instead of now. */
  toMs?: number;
  now?: Clock;
}

/**
 * `/assets/{id}/history?interval=d1|h1&start&end` for each asset, from its watermark to now, in windows →
 * `staging.coincap_asset_history`, keyed by (asset, granularity, ts), UNIX-ms times as UTC timestamps.
 * An asset CoinCap does not know (404) is skipped with a warning; the others load.
 */
export function historyStream(client: CoinCapClient, options: HistoryOptions) {
  const now = options.now ?? systemClock;
  const { interval } = options;
  return defineStream({
    name: `coincap.history_${interval === 'd1' ? 'daily' : 'hourly'}`,
    ...tableWrite(coincapAssetHistory),
    onConflict: 'update',
    record: historyRecord,
    async *extract({ cursor, signal, log }: ExtractContext<HistoryCursor>) {
      const state: HistoryCursor = { ...cursor };
      const end = options.toMs ?? now().getTime();
      let done = 0;
      const faults: EmptyWindow[] = [];
      for (const asset of options.assets) {
        const saved = state[asset];
        let emptyFrom: number | undefined;
        let from = options.fromMs ?? (saved !== undefined ? saved + 1 : firstStart(interval, now()));
        while (from < end && !signal.aborted) {
          const to = Math.min(end, from + WINDOW_MS[interval] - 1);
          const body = await client.history(asset, interval, from, to, signal);
          if (!body) {
            log.warn({ asset }, 'CoinCap does not know this asset (404): skipped; check the COINS setting');
            break;
          }
          const records = body.data.map((point) => ({ ...point, asset_id: asset, granularity: interval }));
          // The cursor only moves over points received, never over the window asked for: an empty or short answer
          // (a passing fault, or the hour not published yet) leaves the rest to the next run. A re-extraction of an
          // older window never moves the watermark back.
          const had = state[asset];
          const times = body.data
            .map((p) => Number((p as { time?: unknown }).time))
            .filter((time) => Number.isFinite(time) && time >= from && time <= to);
          const last = Math.max(...times);
          const first = Math.min(...times);
          if (emptyWindowWasFault(emptyFrom, from, first, STEP_MS[interval])) {
            faults.push({ coin: asset, from: emptyFrom ?? from, to: from - 1, firstPoint: first });
            break;
          }
          if (times.length === 0 && had === undefined) emptyFrom ??= from;
          if (times.length > 0) emptyFrom = undefined;
          if (Number.isFinite(last)) state[asset] = Math.max(had ?? last, last);
          yield { records, cursor: { ...state }, progress: { done, total: options.assets.length } };
          // A window past the stored points that holds none of its own (points outside it do not count) is a gap
          // upstream: this asset stops here rather than jump over it, and the next run asks again. Before any (an
          // asset listed later), and in a `--from` re-extraction below the watermark, the next window follows,
          // unless a later window's points show the asset listed by then (above). A window answered only in part
          // is asked again from its last point.
          if (to >= end) break;
          if (times.length === 0 && had !== undefined && from > had) {
            log.warn(
              { asset, from: iso(from), to: iso(to) },
              'CoinCap answered no points after the stored ones: this asset stops here, the next run asks again',
            );
            break;
          }
          from = Number.isFinite(last) ? last + 1 : to + 1;
        }
        done++;
      }
      if (faults.length > 0) throw emptyWindowsError(faults);
    },
  });
}
