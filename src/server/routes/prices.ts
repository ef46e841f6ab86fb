import type { FastifyPluginAsync } from 'fastify';
import { engineOf } from '../../db/engines.ts';
import { EtlError } from '../../internal/errors.ts';
import { instant, num, type ServerDeps } from '../deps.ts';
import { type PageQuery, pageParams, pageResponse, sendPage, sendRenderedPage, toNumber } from '../pagination.ts';
import { parseRange, type RangeParams, rangeParams } from '../params.ts';
import { DECIMAL_PRICE_COLUMNS, PRICE_COLUMNS, pricesQuery } from '../pricesQuery.ts';

const priceRow = {
  type: 'object',
  properties: {
    coin_id: { type: 'string' },
    vs_currency: { type: 'string' },
    time: { ...instant, description: 'Start of the day or hour (UTC)' },
    open: num,
    high: num,
    low: num,
    close: num,
    average: num,
    volume: { ...num, description: '24 h volume at the last point of the period' },
    market_cap: num,
    points: { type: 'integer', description: 'Price points the period was computed from' },
  },
} as const;

type PricesQuery = PageQuery & RangeParams & { coin: string[]; interval: 'daily' | 'hourly'; vs?: string };

const MAX_COINS = 10;

/** Exact decimals that arrive as strings (MySQL's driver) as JSON numbers. */
function pricesAsNumbers(row: Record<string, unknown>): Record<string, unknown> {
  const out = { ...row };
  for (const c of DECIMAL_PRICE_COLUMNS) out[c] = toNumber(row[c]);
  return out;
}

/** `/api/prices`: daily or hourly OHLC of one or more coins (the warehouse rollups of CoinGecko prices). */
export const priceRoutes: FastifyPluginAsync<ServerDeps> = async (server, { app, db, reader }) => {
  const { warehouse } = db.schemas;
  const engine = engineOf(db);
  const { jsonInSql } = engine;

  server.get<{ Querystring: PricesQuery }>(
    '/api/prices',
    {
      schema: {
        tags: ['market'],
        summary: 'Daily or hourly OHLC prices of one or more coins (warehouse.prices_daily / prices_hourly)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['coin'],
          properties: {
            coin: {
              type: 'array',
              minItems: 1,
              maxItems: MAX_COINS,
              items: { type: 'string', pattern: '^[a-z0-9-]+(,[a-z0-9-]+)*$' },
              description: `CoinGecko id; repeat it or separate with commas to compare up to ${MAX_COINS} coins`,
            },
            interval: { type: 'string', enum: ['daily', 'hourly'], default: 'daily' },
            vs: { type: 'string', pattern: '^[a-z]{3,5}$', description: 'Quote currency; default VS_CURRENCY' },
            ...rangeParams,
            ...pageParams,
          },
        },
        response: pageResponse(priceRow, 'One row per coin and period'),
      },
    },
    async (request, reply) => {
      const q = request.query;
      const [only] = q.coin;
      const coins =
        q.coin.length === 1 && only !== undefined && !only.includes(',')
          ? q.coin
          : [...new Set(q.coin.flatMap((c) => c.split(',')))];
      if (coins.length > MAX_COINS) {
        throw new EtlError('ETL_INPUT_INVALID', `Invalid query parameter "coin": at most ${MAX_COINS} coins at once`, {
          details: { parameter: 'coin', in: 'querystring' },
        });
      }
      const { from, to } = parseRange(q);
      const vs = q.vs ?? app.config.coingecko.vsCurrency;
      // Each option named: spreading the parsed query (an object without prototype, in dictionary mode) cost
      // 7 µs a request.
      const { interval, order, limit, offset, format } = q;
      const query = pricesQuery({ warehouse, interval, coins, vs, from, to, order, limit, offset, format, jsonInSql });
      const read = reader(reply);
      if (format === 'csv' || !jsonInSql) {
        const rows = await read.query(query.text, query.values);
        const numbers = engine.decimalsAsStrings ? rows.map(pricesAsNumbers) : rows;
        return sendPage(reply, { limit, offset, format, name: `prices_${interval}`, columns: PRICE_COLUMNS }, numbers);
      }
      const [page] = await read.query<{ items: string; more: boolean }>(query.text, query.values);
      return sendRenderedPage(reply, q, page?.items ?? '[]', page?.more === true);
    },
  );
};
