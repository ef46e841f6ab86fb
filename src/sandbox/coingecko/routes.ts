import { handleMarketChart, handleMarketChartRange } from './chart.ts';
import { fail, flag, ok, type RouteContext, type RouteResult } from './context.ts';
import { VS_CURRENCIES } from './currencies.ts';
import { handleMarkets } from './markets.ts';
import { handleSimplePrice } from './simplePrice.ts';

const CHART_PATH = /^\/coins\/([^/]+)\/market_chart(\/range)?$/;

/** GET /coins/list[?include_platform=true]: every catalog coin, unpaginated like the real endpoint. */
function handleCoinsList(query: Record<string, string>, ctx: RouteContext): RouteResult {
  const withPlatforms = flag(query, 'include_platform');
  return ok(
    ctx.catalog.coins.map(({ id, symbol, name, platforms }) =>
      withPlatforms ? { id, symbol, name, platforms } : { id, symbol, name },
    ),
  );
}

/** Answers one authorised GET; `path` is the part after `/api/v3`. */
export function route(path: string, query: Record<string, string>, ctx: RouteContext): RouteResult {
  switch (path) {
    case '/ping':
      return ok({ gecko_says: '(V3) To the Moon!' });
    case '/coins/list':
      return handleCoinsList(query, ctx);
    case '/coins/markets':
      return handleMarkets(query, ctx);
    case '/simple/price':
      return handleSimplePrice(query, ctx);
    case '/simple/supported_vs_currencies':
      return ok([...VS_CURRENCIES]);
  }
  const chart = CHART_PATH.exec(path);
  if (chart?.[1]) {
    return chart[2] ? handleMarketChartRange(chart[1], query, ctx) : handleMarketChart(chart[1], query, ctx);
  }
  return fail(404, `Incorrect path ${path}: not served by the CoinGecko sandbox`);
}
