import { type Clock, systemClock } from '../../internal/clock.ts';
import { coingeckoPrices } from '../../tables/coingecko.ts';
import { tableWrite } from '../../tables/defineTable.ts';
import { defineStream, type ExtractContext } from '../stream.ts';
import type { CoinGeckoClient } from './client.ts';
import { priceRecord } from './schemas.ts';

/** Per coin, the time (ms) of the last point received: the next run starts just after it. */
export type PricesCursor = Record<string, number>;

/**
 * CoinGecko answers hourly points for ranges of 2–90 days; longer ranges turn daily, so backfills go in windows.
 * 89 days, not 90: the request's bounds are whole seconds rounded outwards, and a window of 90 days from the
 * millisecond after a watermark came to 90 days and a second, which is answered daily (the hours in it never came).
 */
const WINDOW_MS = 89 * 86_400_000;
/**
 * A range within the last day is answered 5-minutely. Every request spans at least this much, whatever the
 * watermark, so every answer is hourly; the points before the watermark are dropped (they are stored already).
 */
const HOURLY_SPAN_MS = 2 * 86_400_000;

/** The first run starts at the beginning of the current month, UTC, as the seeds' init did. */
export function startOfMonthUtc(now: Date): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
}

/**
 * `/coins/{id}/market_chart/range` for each configured coin, from its watermark to now →
 * `staging.coingecko_prices`, keyed by (coin, currency, ts). One batch per coin and window.
 */
export function pricesStream(
  client: CoinGeckoClient,
  options: { coins: readonly string[]; vsCurrency: string; now?: Clock },
) {
  const now = options.now ?? systemClock;
  return defineStream({
    name: 'coingecko.prices',
    ...tableWrite(coingeckoPrices),
    onConflict: 'update',
    record: priceRecord,
    async *extract({ cursor, signal, log }: ExtractContext<PricesCursor>) {
      const state: PricesCursor = { ...cursor };
      const end = now().getTime();
      let done = 0;
      for (const coin of options.coins) {
        let from = state[coin] !== undefined ? (state[coin] as number) + 1 : startOfMonthUtc(now());
        while (from < end && !signal.aborted) {
          const to = Math.min(end, from + WINDOW_MS);
          const askFrom = Math.min(from, to - HOURLY_SPAN_MS);
          const chart = await client.marketChartRange(coin, Math.floor(askFrom / 1000), Math.ceil(to / 1000));
          const caps = new Map(chart.market_caps.map(([ts, v]) => [ts, v]));
          const volumes = new Map(chart.total_volumes.map(([ts, v]) => [ts, v]));
          const records = chart.prices
            .filter(([ts]) => ts >= from && ts <= to)
            .map(([ts, price]) => ({
              coin_id: coin,
              vs_currency: options.vsCurrency,
              ts,
              price,
              market_cap: caps.get(ts) ?? null,
              total_volume: volumes.get(ts) ?? null,
            }));
          // The cursor only moves over points received: an empty answer leaves it, and the next run asks for
          // the same window again. After points were stored an empty window is a gap upstream, so this coin
          // stops here rather than jump over it; before any (a coin listed later) the next window follows. A
          // first run asks one window (the month's start to now, under 89 days), so an empty one is never passed
          // over: the next run asks it again. (CoinCap's first runs span windows: see coincap/historyStream.ts.)
          // A window answered only in part is asked again from its last point, never skipped to its end.
          const had = state[coin];
          const last = records.reduce((max, r) => Math.max(max, r.ts), Number.NEGATIVE_INFINITY);
          if (Number.isFinite(last)) state[coin] = Math.max(had ?? last, last);
          yield { records, cursor: { ...state }, progress: { done, total: options.coins.length } };
          if (to >= end) break;
          if (records.length === 0 && had !== undefined) {
            log.warn(
              { coin, from: new Date(from).toISOString(), to: new Date(to).toISOString() },
              'CoinGecko answered no prices after the stored ones: this coin stops here, the next run asks again',
            );
            break;
          }
          from = Number.isFinite(last) ? last + 1 : to + 1;
        }
        done++;
      }
    },
  });
}
