import { z } from 'zod';

/** Page-level shapes: a body that breaks one of these fails the run (nothing from it is written). */
export const coinListSchema = z.array(z.object({ id: z.string() }).loose());
export const marketsPageSchema = z.array(z.object({}).loose());
const point = z.tuple([z.number(), z.number().nullable()]);
export const marketChartSchema = z.object({
  prices: z.array(point),
  market_caps: z.array(point),
  total_volumes: z.array(point),
});

const num = z
  .number()
  .nullable()
  .optional()
  .transform((v) => v ?? null);
const isoDate = z.iso
  .datetime({ offset: true })
  .nullable()
  .optional()
  .transform((v) => (v ? new Date(v) : null));

/** Record-level shapes: a record that breaks one of these goes to `etl.rejects`, its batch-mates load. */
export const coinRecord = z
  .object({
    id: z.string().min(1),
    symbol: z.string(),
    name: z.string(),
    platforms: z.record(z.string(), z.string().nullable()).optional(),
  })
  .transform((c) => ({ id: c.id, symbol: c.symbol, name: c.name, platforms: c.platforms ?? null }));

export const marketRecord = z
  .object({
    id: z.string().min(1),
    symbol: z.string(),
    name: z.string(),
    vs_currency: z.string(),
    snapshot_at: z.date(),
    current_price: num,
    market_cap: num,
    market_cap_rank: z.number().int().nullable().optional(),
    fully_diluted_valuation: num,
    total_volume: num,
    high_24h: num,
    low_24h: num,
    price_change_24h: num,
    price_change_percentage_24h: num,
    market_cap_change_24h: num,
    market_cap_change_percentage_24h: num,
    circulating_supply: num,
    total_supply: num,
    max_supply: num,
    ath: num,
    ath_date: isoDate,
    atl: num,
    atl_date: isoDate,
    last_updated: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
  })
  .transform(({ id, ...m }) => ({ coin_id: id, ...m, market_cap_rank: m.market_cap_rank ?? null }));

export const priceRecord = z.object({
  coin_id: z.string(),
  vs_currency: z.string(),
  ts: z
    .number()
    .int()
    .positive()
    .transform((ms) => new Date(ms)),
  price: z.number().nonnegative(),
  market_cap: z.number().nullable(),
  total_volume: z.number().nullable(),
});
