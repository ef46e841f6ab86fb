import type { FastifyPluginAsync } from 'fastify';
import type { ServerDeps } from '../deps.ts';
import { relationRoute } from './relationRoute.ts';

/** CoW Protocol trades (Dune) and the chain's blocks and transfers (EVM JSON-RPC), from the warehouse. */
export const onchainRoutes: FastifyPluginAsync<ServerDeps> = async (server, deps) => {
  relationRoute(server, deps, {
    url: '/api/cow/trades',
    tag: 'cow',
    summary: 'CoW Protocol trades with their execution price next to the market price (warehouse.cow_trades_priced)',
    spec: {
      schema: 'warehouse',
      name: 'cow_trades_priced',
      time: ['block_time', 'block_date', 'day'],
      tieBreak: ['tx_hash', 'order_uid', 'evt_index'],
    },
  });
  relationRoute(server, deps, {
    url: '/api/cow/daily',
    tag: 'cow',
    summary: 'CoW Protocol daily trade statistics (warehouse.cow_daily)',
    spec: { schema: 'warehouse', name: 'cow_daily', time: ['day', 'block_date', 'date'], tieBreak: [] },
  });
  relationRoute(server, deps, {
    url: '/api/cow/reconciliation',
    tag: 'cow',
    summary: 'CoW trades and volume per day from Dune and from the chain (warehouse.cow_reconciliation_daily)',
    spec: { schema: 'warehouse', name: 'cow_reconciliation_daily', time: ['day'], tieBreak: [] },
  });
  relationRoute(server, deps, {
    url: '/api/cow/unmatched',
    tag: 'cow',
    summary: 'CoW trades found in Dune or on the chain only (warehouse.cow_unmatched_trades)',
    spec: {
      schema: 'warehouse',
      name: 'cow_unmatched_trades',
      time: ['block_time', 'day'],
      tieBreak: ['tx_hash', 'order_uid'],
    },
  });
  relationRoute(server, deps, {
    url: '/api/chain/daily',
    tag: 'chain',
    summary: 'Blocks, transactions, gas and base fee per day (warehouse.chain_daily)',
    spec: { schema: 'warehouse', name: 'chain_daily', time: ['day', 'date', 'block_date'], tieBreak: ['chain_id'] },
  });
  relationRoute(server, deps, {
    url: '/api/chain/transfers',
    tag: 'chain',
    summary: 'ERC-20 transfers of the token list, with symbol and amount in token units (warehouse.erc20_transfers)',
    spec: {
      schema: 'warehouse',
      name: 'erc20_transfers',
      time: ['block_time', 'block_timestamp', 'timestamp', 'block_number'],
      tieBreak: ['block_number', 'log_index', 'tx_hash'],
    },
  });
};
