import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { silentLogger } from '../src/internal/logger.ts';
import { type DuneEmulator, startDuneEmulator } from '../src/sandbox/dune/server.ts';
import { jsonRpc } from '../src/sandbox/evm/anvil.ts';
import { TRANSFER_TOPIC } from '../src/sandbox/evm/erc20.ts';
import { type SandboxChain, startSandboxChain } from '../src/sandbox/evm/startSandboxChain.ts';
import { DEFAULT_TOKENS } from '../src/sources/evm/events/contracts.ts';
import { checkCowReconciliation } from '../src/transforms/quality/cowReconciliation.ts';
import { duneSettings, testConfig } from './helpers/config.ts';
import { count, openTestDb, POSTGRES_ENGINES, type TestDb } from './helpers/databases.ts';

const log = silentLogger();
const PER_DAY = 12;

/** The sandbox's chain and Dune emulator (the same trades on both), loaded by dune-init and evm-events. */
describe.each(POSTGRES_ENGINES)('CoW trades from the chain and ERC-20 transfers on %s', (engine) => {
  let chain: SandboxChain;
  let dune: DuneEmulator;
  let t: TestDb;

  async function runJob(name: string, args: Record<string, unknown> = {}) {
    const config = testConfig({
      ...duneSettings(dune),
      EVM_RPC_URLS: chain.url,
      EVM_CONFIRMATIONS: '0',
      EVM_EVENT_TOKENS: `${DEFAULT_TOKENS},SBX:${chain.token.toLowerCase()}:18`,
    });
    const app = await createApp({ config, log, db: t.db, migrate: false });
    try {
      return await (await app.executor.trigger(name, { retries: 0, args })).done;
    } finally {
      await app.close();
    }
  }

  beforeAll(async () => {
    const started = await startSandboxChain({ blocks: 12, days: 3, cow: { perDay: PER_DAY } });
    if (!started) throw new Error('anvil is not installed: run npm install (devDependency @foundry-rs/anvil)');
    chain = started;
    dune = await startDuneEmulator({
      pendingMs: 0,
      executingMs: 0,
      cowTradesPerDay: PER_DAY,
      cowOnChain: chain.cowTrades,
    });
    t = await openTestDb(engine);
    for (const [job, args] of [
      ['dune-init', {}],
      ['evm-events', { from: '0' }],
    ] as const) {
      const result = await runJob(job, args);
      expect(result.status, `${job}: ${result.error}`).toBe('succeeded');
    }
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await dune?.close();
    await chain?.close();
  });

  it('behavior: the chain holds every trade Dune serves for its days; the reconciliation agrees', async () => {
    expect(chain.cowTrades.size).toBeGreaterThanOrEqual(PER_DAY * 2);
    expect(await count(t.db, 'warehouse.cow_trades_onchain')).toBe(chain.cowTrades.size);
    const daily = await t.db.query<{
      dune_trades: string;
      chain_trades: string;
      agrees: boolean;
      volume_token: string;
    }>('SELECT dune_trades, chain_trades, agrees, volume_token FROM warehouse.cow_reconciliation_daily ORDER BY day');
    expect(daily.length).toBeGreaterThanOrEqual(2);
    expect(daily.every((d) => d.agrees && Number(d.dune_trades) === Number(d.chain_trades))).toBe(true);
    expect(daily.reduce((n, d) => n + Number(d.chain_trades), 0)).toBe(chain.cowTrades.size);
    expect(daily[0]?.volume_token).toBe('USDC');
    const [check] = await checkCowReconciliation(t.db);
    expect(check).toMatchObject({ check: 'cow_reconciliation', status: 'passed', value: 0 });
  });

  it('behavior: amounts are in token units, the same as Dune reports', async () => {
    const rows = await t.db.query<{ same: boolean }>(
      `SELECT c.units_sold = d.units_sold AND c.units_bought = d.units_bought AND c.sell_token = d.sell_token
         AND c.evt_index = d.evt_index AND c.block_number = d.block_number AND c.block_time = d.block_time AS same
       FROM warehouse.cow_trades_onchain c
       JOIN staging.dune_cow_trades d ON d.tx_hash = c.tx_hash AND d.order_uid = c.order_uid`,
    );
    expect(rows).toHaveLength(chain.cowTrades.size);
    expect(rows.every((r) => r.same)).toBe(true);
  });

  it('behavior: erc20_transfers equals what the chain emitted; a rerun adds 0', async () => {
    const logs = await jsonRpc(chain.url).rpc<
      { transactionHash: string; logIndex: string; topics: string[]; data: string }[]
    >('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: chain.token, topics: [TRANSFER_TOPIC] }]);
    const emitted = logs
      .map((l) => [
        l.transactionHash,
        Number(l.logIndex),
        `0x${l.topics[1]?.slice(26)}`,
        `0x${l.topics[2]?.slice(26)}`,
        BigInt(l.data).toString(),
      ])
      .sort();
    const stored = async () =>
      (
        await t.db.query<{ h: string; i: number; f: string; to: string; a: string; symbol: string; units: string }>(
          `SELECT transaction_hash AS h, log_index AS i, from_address AS f, to_address AS "to", amount::text AS a,
             token_symbol AS symbol, amount_units::text AS units FROM warehouse.erc20_transfers`,
        )
      )
        .map((r) => [r.h, Number(r.i), r.f, r.to, r.a])
        .sort();
    expect(logs.length).toBeGreaterThan(10);
    expect(await stored()).toEqual(emitted);
    const [units] = await t.db.query<{ ok: boolean; symbol: string }>(
      `SELECT bool_and(amount_units * 10::numeric ^ 18 = amount) AS ok, min(token_symbol) AS symbol FROM warehouse.erc20_transfers`,
    );
    expect(units).toEqual({ ok: true, symbol: 'SBX' });
    const rerun = await runJob('evm-events', { from: '0' });
    expect(rerun.status, rerun.error).toBe('succeeded');
    expect(rerun.runs.reduce((n, r) => n + r.rowsLoaded, 0)).toBe(0);
    expect(await stored()).toEqual(emitted);
  });

  it('behavior: a trade removed from the Dune side is named by the reconciliation and fails the quality check', async () => {
    const [gone] = await t.db.query<{ tx_hash: string; order_uid: string; day: string }>(
      `SELECT tx_hash, order_uid, to_char(block_date, 'YYYY-MM-DD') AS day FROM staging.dune_cow_trades
       WHERE tx_hash = ANY($1::text[]) ORDER BY block_time LIMIT 1 OFFSET 5`,
      [[...chain.cowTrades.values()].map((c) => c.txHash)],
    );
    if (!gone) throw new Error('no Dune trade to remove');
    await t.db.query('DELETE FROM staging.dune_cow_trades WHERE tx_hash = $1 AND order_uid = $2', [
      gone.tx_hash,
      gone.order_uid,
    ]);
    const missing = await t.db.query<{ tx_hash: string; order_uid: string; found_in: string }>(
      "SELECT tx_hash, order_uid, found_in FROM warehouse.cow_reconciliation WHERE found_in <> 'both'",
    );
    expect(missing).toEqual([{ tx_hash: gone.tx_hash, order_uid: gone.order_uid, found_in: 'chain' }]);
    const [day] = await t.db.query<{ agrees: boolean; dune_trades: string; chain_trades: string }>(
      `SELECT agrees, dune_trades, chain_trades FROM warehouse.cow_reconciliation_daily WHERE day = $1::date`,
      [gone.day],
    );
    expect(day?.agrees).toBe(false);
    expect(Number(day?.chain_trades) - Number(day?.dune_trades)).toBe(1);
    const [check] = await checkCowReconciliation(t.db);
    expect(check?.status).toBe('failed');
    expect(check?.value).toBe(1);
    expect(check?.details?.unmatched).toEqual([
      { day: gone.day, txHash: gone.tx_hash, orderUid: gone.order_uid, missingFrom: 'dune' },
    ]);
  });
});
