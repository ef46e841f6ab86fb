import { handleAsset, handleAssets } from './assets.ts';
import { handleExchange, handleExchanges, handleMarkets } from './exchanges.ts';
import { handleHistory } from './history.ts';
import { type CoinCapContext, fail, type RouteResult } from './wire.ts';

const ASSET_PATH = /^\/assets\/([^/]+)(\/history)?$/;
const EXCHANGE_PATH = /^\/exchanges\/([^/]+)$/;

/** Answers one authorised GET; `path` is the part after `/v3` (or `/v2`). */
export function route(path: string, query: Record<string, string>, ctx: CoinCapContext): RouteResult {
  switch (path) {
    case '/assets':
      return handleAssets(query, ctx);
    case '/exchanges':
      return handleExchanges(ctx);
    case '/markets':
      return handleMarkets(query, ctx);
  }
  const asset = ASSET_PATH.exec(path);
  if (asset?.[1]) return asset[2] ? handleHistory(asset[1], query, ctx) : handleAsset(asset[1], ctx);
  const exchange = EXCHANGE_PATH.exec(path);
  if (exchange?.[1]) return handleExchange(exchange[1], ctx);
  return fail(404, `Not found: ${path} is not served by the CoinCap sandbox`);
}
