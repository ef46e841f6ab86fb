import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { type App, createApp } from '../../src/app.ts';
import type { Db } from '../../src/db/types.ts';
import { silentLogger } from '../../src/internal/logger.ts';
import { eventTarget } from '../../src/pipeline/evm/eventsStore.ts';
import { markSandboxData } from '../../src/pipeline/status.ts';
import { priceAt } from '../../src/sandbox/coingecko/prices.ts';
import { type CoinGeckoEmulator, startCoinGeckoEmulator } from '../../src/sandbox/coingecko/server.ts';
import { createServer } from '../../src/server/createServer.ts';
import { builtInSets, COW_SETTLEMENT, specsOf } from '../../src/sources/evm/events/contracts.ts';
import { EVM_COLUMNS, EVM_KEYS } from '../../src/sources/evm/rows.ts';
import { FIXED_NOW_MS } from './clock.ts';
import { testConfig } from './config.ts';
import { type EngineName, openTestDb, type TestDb } from './databases.ts';

export const API_TOKEN = 'test-token-0123456789abcdef';
export const COINS = ['bitcoin', 'ethereum', 'usd-coin'];

const WETH = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2';
const USDC = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48';

export interface SandboxApp {
  app: App;
  server: FastifyInstance;
  /** `http://127.0.0.1:PORT` of the listening server. */
  url: string;
  db: Db;
  emulator: CoinGeckoEmulator;
  close(): Promise<void>;
}

/**
 * The product as `start --sandbox` runs it, on a fresh test database, with its clock and the emulator's pinned
 * at `nowMs` (default an ordinary noon, {@link FIXED_NOW_MS}): the CoinGecko jobs loaded from the emulator, CoW trades inserted around the emulator's ETH price, a few days of blocks and ERC-20 transfer logs,
 * the quality job run, and the server listening.
 */
export async function startSandboxApp(
  engine: EngineName,
  settings: Record<string, string> = {},
  options: { nowMs?: number } = {},
): Promise<SandboxApp> {
  const nowMs = options.nowMs ?? FIXED_NOW_MS;
  const emulator = await startCoinGeckoEmulator({ coinCount: 300, now: () => nowMs });
  let t: TestDb | undefined;
  try {
    t = await openTestDb(engine);
    const config = testConfig({
      SANDBOX: 'true',
      COINGECKO_API_URL: emulator.url,
      COINGECKO_API_KEY: '',
      COINGECKO_RATE_PER_MIN: '6000',
      HTTP_MAX_RETRIES: '1',
      COINS: COINS.join(','),
      API_TOKEN,
      // The server opens its own read-only pool from DATABASE_URL (PostgreSQL); the app uses the test database.
      ...(t.url ? { DATABASE_URL: t.url } : {}),
      ...settings,
    });
    const app = await createApp({ config, log: silentLogger(), db: t.db, retryBaseMs: 10, now: () => new Date(nowMs) });
    await markSandboxData(app.db);
    for (const job of ['coingecko-coins', 'coingecko-markets', 'coingecko-prices']) {
      const result = await (await app.executor.trigger(job, { retries: 0 })).done;
      if (result.status !== 'succeeded') throw new Error(`sandbox fill: ${job} failed: ${result.error}`);
    }
    await insertCowTrades(app.db, nowMs);
    await insertChain(app.db, nowMs);
    // Rollups over what was just inserted (chain, CoW), as the hourly warehouse-refresh would make them.
    await (await app.executor.trigger('warehouse-refresh')).done;
    if (app.catalogue.some((j) => j.name === 'quality')) await (await app.executor.trigger('quality')).done;
    const server = await createServer(app);
    await server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.server.address() as AddressInfo;
    const handle = t;
    return {
      app,
      server,
      url: `http://127.0.0.1:${port}`,
      db: app.db,
      emulator,
      async close() {
        await server.close();
        await app.close();
        await handle.close();
        await emulator.close();
      },
    };
  } catch (error) {
    await t?.close();
    await emulator.close();
    throw error;
  }
}

/** The sandbox's trades and blocks cover the three UTC days before the day of `nowMs`, and that day so far. */
const daysBefore = (nowMs: number) => Math.floor(nowMs / 86_400_000 - 3) * 86_400_000;

/**
 * Four WETH–USDC trades a day, each within ±20 bps of the emulator's ETH price (the staging rows the Dune jobs
 * would load), when this build has the Dune staging table.
 */
async function insertCowTrades(db: Db, nowMs: number): Promise<void> {
  const [exists] = await db.query<{ rel: string | null }>(`SELECT to_regclass('staging.dune_cow_trades')::text AS rel`);
  if (!exists?.rel) return;
  const rows: unknown[][] = [];
  for (let ts = daysBefore(nowMs) + 3_600_000, i = 0; ts < nowMs; ts += 6 * 3_600_000, i++) {
    const buysWeth = i % 2 === 0;
    const deviation = (((i * 37) % 41) - 20) / 10_000;
    const weth = 0.5 + (i % 7);
    const usdc = Number((weth * priceAt('ethereum', ts) * (1 + deviation)).toFixed(6));
    const [sold, bought] = buysWeth ? [usdc, weth] : [weth, usdc];
    const [soldAtoms, boughtAtoms] = buysWeth ? [usdc * 1e6, weth * 1e18] : [weth * 1e18, usdc * 1e6];
    rows.push([
      `0x${i.toString(16).padStart(64, '0')}`,
      `0x${i.toString(16).padStart(112, 'a')}`,
      i % 5,
      new Date(ts).toISOString().slice(0, 10),
      new Date(ts),
      20_000_000 + i,
      buysWeth ? USDC : WETH,
      buysWeth ? WETH : USDC,
      sold,
      BigInt(Math.round(soldAtoms)).toString(),
      bought,
      BigInt(Math.round(boughtAtoms)).toString(),
      usdc,
    ]);
  }
  await insertChainTrades(db, rows);
  await db.writeRows(
    {
      table: 'staging.dune_cow_trades',
      columns: [
        'tx_hash',
        'order_uid',
        'evt_index',
        'block_date',
        'block_time',
        'block_number',
        'sell_token_address',
        'buy_token_address',
        'units_sold',
        'atoms_sold',
        'units_bought',
        'atoms_bought',
        'usd_value',
      ],
      key: ['tx_hash', 'order_uid', 'evt_index'],
      onConflict: 'ignore',
    },
    rows,
  );
}

const shipped = builtInSets([], COW_SETTLEMENT);
const [cowSpec] = specsOf(shipped.cow as NonNullable<typeof shipped.cow>) as [ReturnType<typeof specsOf>[number]];
const [transferSpec] = specsOf(shipped.erc20 as NonNullable<typeof shipped.erc20>) as [
  ReturnType<typeof specsOf>[number],
];

/** The same trades as GPv2Settlement Trade events (chain 1) with the token list, when this build has the tables. */
async function insertChainTrades(db: Db, dune: unknown[][]): Promise<void> {
  const [exists] = await db.query<{ rel: string | null }>(
    `SELECT to_regclass('staging.evm_event_cow_trade')::text AS rel`,
  );
  if (!exists?.rel) return;
  await writeTokens(db);
  await db.writeRows(
    eventTarget(db.schemas, cowSpec),
    dune.map(([tx, uid, index, , time, number, sell, buy, , soldAtoms, , boughtAtoms]) => [
      1,
      number,
      hex(number as number, 32),
      index,
      tx,
      0,
      COW_SETTLEMENT,
      time,
      hex(9, 20),
      sell,
      buy,
      soldAtoms,
      boughtAtoms,
      '0',
      uid,
    ]),
  );
}

async function writeTokens(db: Db): Promise<void> {
  await db.writeRows(
    {
      table: 'staging.evm_tokens',
      columns: ['chain_id', 'address', 'symbol', 'decimals'],
      key: ['chain_id', 'address'],
      onConflict: 'ignore',
    },
    [
      [1, WETH, 'WETH', 18],
      [1, USDC, 'USDC', 6],
    ],
  );
}

const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const hex = (n: number, bytes: number) => `0x${n.toString(16).padStart(bytes * 2, '0')}`;

/**
 * Three days of hourly blocks (chain 1) with one ERC-20 Transfer log each, as the EVM jobs would stage them,
 * when this build has the EVM staging tables.
 */
async function insertChain(db: Db, nowMs: number): Promise<void> {
  const [exists] = await db.query<{ rel: string | null }>(`SELECT to_regclass('staging.evm_logs')::text AS rel`);
  if (!exists?.rel) return;
  const start = daysBefore(nowMs);
  const blocks: unknown[][] = [];
  const logs: unknown[][] = [];
  for (let i = 0; i < 72; i++) {
    const number = 21_000_000 + i;
    const time = new Date(start + i * 3_600_000);
    blocks.push([
      1,
      number,
      hex(number, 32),
      hex(number - 1, 32),
      time,
      hex(7, 20),
      30_000_000,
      12_000_000 + i * 10_000,
      String(1_000_000_000 * (10 + (i % 24))),
      '0x',
      hex(0, 32),
      hex(1, 32),
      hex(2, 32),
      hex(3, 32),
      hex(0, 256),
      '[]',
      1,
    ]);
    logs.push([
      1,
      hex(number, 32).replace('0x0', '0xf'),
      0,
      number,
      hex(number, 32),
      time,
      0,
      USDC,
      TRANSFER_TOPIC,
      hex(i + 1, 32),
      hex(i + 2, 32),
      null,
      hex(1_000_000 * (i + 1), 32),
    ]);
  }
  const write = (table: string, columns: readonly string[], key: readonly string[], rows: unknown[][]) =>
    db.writeRows({ table, columns, key, onConflict: 'ignore' }, rows);
  await write(
    'staging.evm_blocks',
    [
      'chain_id',
      'number',
      'hash',
      'parent_hash',
      'block_time',
      'miner',
      'gas_limit',
      'gas_used',
      'base_fee_per_gas',
      'extra_data',
      'sha3_uncles',
      'state_root',
      'transactions_root',
      'receipts_root',
      'logs_bloom',
      'uncles',
      'transaction_count',
    ],
    EVM_KEYS.blocks,
    blocks,
  );
  // Logs fill every staging column, in the product's order; blocks fill a subset (the others stay null).
  await write('staging.evm_logs', EVM_COLUMNS.logs, EVM_KEYS.logs, logs);
  // The same Transfers as evm-events decodes them (erc20_transfers is filled from these).
  await writeTokens(db);
  await db.writeRows(
    eventTarget(db.schemas, transferSpec),
    logs.map(([, tx, index, number, hash, time, , token, , from, to, , data]) => [
      1,
      number,
      hash,
      index,
      tx,
      0,
      token,
      time,
      `0x${String(from).slice(26)}`,
      `0x${String(to).slice(26)}`,
      BigInt(data as string).toString(),
    ]),
  );
}
