import { coincapAssetHistory, coincapAssets, coincapExchanges, coincapMarkets } from './coincap.ts';
import { coingeckoCoins, coingeckoMarkets, coingeckoPrices } from './coingecko.ts';
import type { TableSpec } from './defineTable.ts';

/** Every staging table declared in code; test/tableDeclarations.e2e.test.ts holds each engine's DDL to it. */
export const DECLARED_TABLES: readonly TableSpec[] = [
  coingeckoCoins,
  coingeckoMarkets,
  coingeckoPrices,
  coincapAssets,
  coincapExchanges,
  coincapMarkets,
  coincapAssetHistory,
];
