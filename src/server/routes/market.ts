import type { FastifyPluginAsync } from 'fastify';
import { coingeckoMarkets } from '../../tables/coingecko.ts';
import { columnProperties, decimalColumns } from '../columnSchema.ts';
import { num, type ServerDeps } from '../deps.ts';
import { type PageQuery, pageParams, pageResponse, sendPage, toNumber } from '../pagination.ts';

const coin = {
  type: 'object',
  properties: { id: { type: 'string' }, symbol: { type: 'string' }, name: { type: 'string' }, platforms: {} },
} as const;

/** `market_overview`: the latest snapshot of each coin (its columns as `coingecko_markets` declares them), ranked. */
const marketRow = {
  type: 'object',
  properties: {
    rank: { type: 'integer' },
    ...columnProperties(coingeckoMarkets, [
      'coin_id',
      'symbol',
      'name',
      'vs_currency',
      'current_price',
      'market_cap',
      'market_cap_rank',
      'total_volume',
      'high_24h',
      'low_24h',
      'price_change_percentage_24h',
      'circulating_supply',
      'total_supply',
      'max_supply',
    ]),
    dominance_pct: { ...num, description: 'Share of the total market cap of the listed coins, percent' },
    ...columnProperties(coingeckoMarkets, ['last_updated', 'snapshot_at']),
  },
} as const;
const MARKET_COLUMNS = Object.keys(marketRow.properties);
const NUMERIC = [...decimalColumns(coingeckoMarkets, MARKET_COLUMNS), 'dominance_pct'];
const SELECT_MARKET = MARKET_COLUMNS.map((c) => `"${c}"`).join(', ');

// Nulls last by hand: MySQL has no NULLS LAST.
const SORTS = {
  rank: '"rank"',
  gainers: 'price_change_percentage_24h IS NULL, price_change_percentage_24h DESC, "rank"',
  losers: 'price_change_percentage_24h IS NULL, price_change_percentage_24h ASC, "rank"',
} as const;

/** Exact decimals (strings from either driver) as JSON numbers, ranks as integers. */
function toMarketRow(row: Record<string, unknown>): Record<string, unknown> {
  const out = { ...row };
  for (const c of [...NUMERIC, 'rank', 'market_cap_rank']) out[c] = toNumber(row[c]);
  return out;
}

/** `/api/coins` (the CoinGecko coin list) and `/api/market` (the latest snapshot of each coin, ranked). */
export const marketRoutes: FastifyPluginAsync<ServerDeps> = async (server, { app, db, reader }) => {
  const { staging, warehouse } = db.schemas;

  server.get<{ Querystring: PageQuery & { search?: string } }>(
    '/api/coins',
    {
      schema: {
        tags: ['market'],
        summary: 'Coins known to CoinGecko (filled by the coingecko-coins job)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            search: { type: 'string', minLength: 1, maxLength: 100, description: 'Part of the id, symbol or name' },
            ...pageParams,
          },
        },
        response: pageResponse(coin, 'Coins ordered by id'),
      },
    },
    async (request, reply) => {
      const { search, limit, offset } = request.query;
      const params: unknown[] = [];
      // lower() on both sides, not ILIKE: the same on PostgreSQL and MySQL (whose key columns compare binary).
      const pattern = `%${search?.toLowerCase()}%`;
      const where = search
        ? `WHERE lower(id) LIKE $${params.push(pattern)} OR lower(symbol) LIKE $1 OR lower(name) LIKE $1`
        : '';
      const rows = await reader(reply).query(
        `SELECT id, symbol, name, platforms FROM ${staging}.coingecko_coins ${where}
         ORDER BY id LIMIT $${params.push(limit + 1)} OFFSET $${params.push(offset)}`,
        params,
      );
      return sendPage(reply, { ...request.query, name: 'coins', columns: ['id', 'symbol', 'name', 'platforms'] }, rows);
    },
  );

  server.get<{ Querystring: PageQuery & { vs?: string; sort: keyof typeof SORTS } }>(
    '/api/market',
    {
      schema: {
        tags: ['market'],
        summary: 'Market overview: the latest snapshot of each coin, its rank and market-cap dominance',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            vs: { type: 'string', pattern: '^[a-z]{3,5}$', description: 'Quote currency; default VS_CURRENCY' },
            sort: {
              type: 'string',
              enum: Object.keys(SORTS),
              default: 'rank',
              description: 'rank: by market cap; gainers / losers: by 24 h price change (top movers)',
            },
            ...pageParams,
          },
        },
        response: pageResponse(marketRow, 'One row per coin'),
      },
    },
    async (request, reply) => {
      const { vs = app.config.coingecko.vsCurrency, sort, limit, offset } = request.query;
      const rows = await reader(reply).query(
        `SELECT ${SELECT_MARKET} FROM ${warehouse}.market_overview WHERE vs_currency = $1
         ORDER BY ${SORTS[sort]} LIMIT $2 OFFSET $3`,
        [vs, limit + 1, offset],
      );
      return sendPage(reply, { ...request.query, name: 'market', columns: MARKET_COLUMNS }, rows.map(toMarketRow));
    },
  );
};
