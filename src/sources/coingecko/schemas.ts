import { z } from 'zod';
import { coingeckoMarkets } from '../../tables/coingecko.ts';
import type { ColumnSpec, ColumnType, TableSpec } from '../../tables/defineTable.ts';

/** Page-level shapes: a body that breaks one of these fails the run (nothing from it is written). */
export const coinListSchema = z.array(z.object({ id: z.string() }).loose());
export const marketsPageSchema = z.array(z.object({}).loose());
const point = z.tuple([z.number(), z.number().nullable()]);
export const marketChartSchema = z.object({
  prices: z.array(point),
  market_caps: z.array(point),
  total_volumes: z.array(point),
});

/** Record-level shapes: a record that breaks one of these goes to `etl.rejects`, its batch-mates load. */
export const coinRecord = z
  .object({
    id: z.string().min(1),
    symbol: z.string(),
    name: z.string(),
    platforms: z.record(z.string(), z.string().nullable()).optional(),
  })
  .transform((c) => ({ id: c.id, symbol: c.symbol, name: c.name, platforms: c.platforms ?? null }));

/** How an upstream value of each declared column type is read (absent or null → null where the column allows it). */
const UPSTREAM: Record<ColumnType, z.ZodType> = {
  text: z.string(),
  numeric: z.number(),
  uint256: z.string(),
  smallint: z.number().int(),
  integer: z.number().int(),
  bigint: z.number().int(),
  boolean: z.boolean(),
  date: z.iso.date(),
  timestamptz: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
  json: z.unknown(),
};

/**
 * The record schema of a table's columns as CoinGecko sends them, from the table's declaration: a column added
 * there is read from the field of the same name, with no second list to keep in step. `own` gives the columns
 * read otherwise (added by the stream); `renamed` those that arrive under another name (the caller extends the
 * schema with that field and maps it).
 */
function upstreamRecord<C extends string, O extends C, R extends C>(
  table: TableSpec<C>,
  own: { [K in O]: z.ZodType },
  renamed: readonly R[],
) {
  const fields: Record<string, z.ZodType> = { ...own };
  for (const [name, column] of Object.entries<ColumnSpec>(table.columns)) {
    if (name in own || (renamed as readonly string[]).includes(name)) continue;
    const read = UPSTREAM[column.type];
    fields[name] = column.nullable
      ? read
          .nullable()
          .optional()
          .transform((v) => v ?? null)
      : read;
  }
  return z.object(fields as { [K in Exclude<C, R>]: z.ZodType });
}

/**
 * The record schema of a market snapshot as `table` holds it: coingecko_markets, or a declaration wider than the
 * code was compiled with (its extra columns are read from the fields of their names; their type is known at run time).
 */
export function marketRecordOf(table: TableSpec = coingeckoMarkets) {
  return (
    upstreamRecord(
      table as typeof coingeckoMarkets,
      // The currency and the snapshot's time come from the request.
      { vs_currency: z.string(), snapshot_at: z.date() },
      ['coin_id'],
    )
      // CoinGecko's `id` is the row's coin_id.
      .extend({ id: z.string().min(1) })
      .transform(({ id, ...m }) => ({ ...m, coin_id: id }))
  );
}

export const marketRecord = marketRecordOf(coingeckoMarkets);

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
