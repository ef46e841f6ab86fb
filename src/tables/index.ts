import { coincapAssetHistory, coincapAssets, coincapExchanges, coincapMarkets } from './coincap.ts';
import { coingeckoCoins, coingeckoMarkets, coingeckoPrices } from './coingecko.ts';
import type { TableSpec } from './defineTable.ts';
import { duneCowTrades } from './dune.ts';
import { evmBlocks, evmLogs, evmReceipts, evmTokens, evmTransactions } from './evm.ts';

/**
 * Every fixed staging table, declared in code; test/tableDeclarations.e2e.test.ts holds each engine's DDL to it.
 * Not here, because their columns are not fixed: the decoded event tables (`evm_event_<set>_<event>`), made from
 * the contract sets' ABIs and created or widened at run time (sources/evm/events/abi.ts, which a test holds to
 * migration 0010's two), and the Dune any-query tables, made and widened from a query's result
 * (pipeline/dune/queryTable.ts). Tables of the etl and warehouse schemas are not staging tables.
 */
export const DECLARED_TABLES: readonly TableSpec[] = [
  coingeckoCoins,
  coingeckoMarkets,
  coingeckoPrices,
  coincapAssets,
  coincapExchanges,
  coincapMarkets,
  coincapAssetHistory,
  duneCowTrades,
  evmBlocks,
  evmTransactions,
  evmReceipts,
  evmLogs,
  evmTokens,
];
