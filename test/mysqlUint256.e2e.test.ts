import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAbiParameters, encodeEventTopics, type Hex, parseAbiItem } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uintOrder, uintSum } from '../src/db/uint256.ts';
import { silentLogger } from '../src/internal/logger.ts';
import { EVENT_ROLLUPS, runEvmEvents } from '../src/jobs/evmEventsJob.ts';
import { eventTarget, tokenWrite } from '../src/pipeline/evm/eventsStore.ts';
import { createRunner } from '../src/pipeline/runner.ts';
import { type Anvil, startAnvil } from '../src/sandbox/evm/anvil.ts';
import { type ChainDriver, createChainDriver } from '../src/sandbox/evm/chainDriver.ts';
import {
  builtInSets,
  type ContractSet,
  parseTokens,
  specsOf,
  TRANSFER_EVENT,
} from '../src/sources/evm/events/contracts.ts';
import { createLogDecoder } from '../src/sources/evm/events/decodeLog.ts';
import { refreshRollups } from '../src/transforms/refreshRollups.ts';
import { testConfig } from './helpers/config.ts';
import { count, type EngineName, openTestDb, type TestDb } from './helpers/databases.ts';

const MAX = 2n ** 256n - 1n;
/** Amounts whose text order is not their numeric order, around the 39-digit split of MySQL's sum, and the extremes. */
const AMOUNTS = [MAX, 10n ** 77n, 0n, 9n, 10n, 10n ** 39n - 1n, 10n ** 39n, 123_456_789n, MAX - 1n];
const TOKEN = '0x00000000000000000000000000000000000a11ce';
const tokens = parseTokens([`BIG:${TOKEN}:18`]);
const [spec] = specsOf(builtInSets(tokens, '0x9008d19f58aabd9ed0d60971565aa8510560ab41').erc20 as ContractSet);
const transfer = parseAbiItem(TRANSFER_EVENT);
const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Hex;

/** A Transfer log of `value` as eth_getLogs sends it, in block `i`. */
function transferLog(i: number, value: bigint) {
  return {
    address: TOKEN,
    topics: encodeEventTopics({ abi: [transfer], args: { from: address(1), to: address(2 + i) } }) as string[],
    data: encodeAbiParameters([{ type: 'uint256' }], [value]),
    blockNumber: `0x${(100 + i).toString(16)}`,
    blockHash: `0x${(i + 1).toString(16).padStart(64, '0')}`,
    blockTimestamp: `0x${(1_767_225_600 + i * 12).toString(16)}`,
    transactionHash: `0x${(0xf00 + i).toString(16).padStart(64, '0')}`,
    transactionIndex: '0x0',
    logIndex: '0x0',
  };
}

/** `value` / 10^decimals as exact decimal text without trailing zeros. */
function units(value: bigint, decimals: number): string {
  const digits = value.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}
const trimUnits = (text: string) => (text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text);

const ENGINES: EngineName[] = ['pglite', 'postgres', 'mysql'];

describe.each(ENGINES)('uint256 on %s', (engine) => {
  let t: TestDb;

  beforeAll(async () => {
    t = await openTestDb(engine);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('behavior: 2^256−1 decoded from a Transfer log is stored, read back and copied to the warehouse exactly', async () => {
    const { db } = t;
    const s = db.schemas;
    if (!spec) throw new Error('no Transfer spec');
    const decode = createLogDecoder([spec]);
    const rows = AMOUNTS.map((value, i) => {
      const decoded = decode(1, transferLog(i, value));
      if (!decoded.ok) throw new Error(decoded.reason);
      return decoded.row;
    });
    // The loader's write: the event table's target and the token list, in one transaction.
    await db.transaction(async (tx) => {
      const tokenRows = tokenWrite(s, 1, tokens);
      await tx.writeRows(tokenRows.target, tokenRows.rows);
      expect(await tx.writeRows(eventTarget(s, spec), rows)).toBe(AMOUNTS.length);
    });
    const staged = await db.query<{ block_number: number | string; value: unknown }>(
      `SELECT block_number, "value" FROM ${s.staging}.evm_event_erc20_transfer ORDER BY block_number`,
    );
    expect(staged.map((r) => String(r.value))).toEqual(AMOUNTS.map(String));
    expect(String(staged[0]?.value)).toBe(
      '115792089237316195423570985008687907853269984665640564039457584007913129639935',
    );

    expect(await refreshRollups(db, EVENT_ROLLUPS)).toEqual(['erc20_transfers']);
    const warehouse = await db.query<{ amount: unknown; amount_units: unknown; token_symbol: string }>(
      `SELECT amount, amount_units, token_symbol FROM ${s.warehouse}.erc20_transfers ORDER BY block_number`,
    );
    expect(warehouse.map((r) => String(r.amount))).toEqual(AMOUNTS.map(String));
    expect(warehouse.map((r) => trimUnits(String(r.amount_units)))).toEqual(AMOUNTS.map((a) => units(a, 18)));
    expect(new Set(warehouse.map((r) => r.token_symbol))).toEqual(new Set(['BIG']));
  });

  it('behavior: the warehouse orders and sums uint256 amounts exactly, past 65 digits', async () => {
    const { db } = t;
    const table = `${db.schemas.warehouse}.erc20_transfers`;
    const sorted = await db.query<{ amount: unknown }>(
      `SELECT amount FROM ${table} ORDER BY ${uintOrder(db, 'amount', 'DESC')}`,
    );
    const descending = [...AMOUNTS].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    expect(sorted.map((r) => String(r.amount))).toEqual(descending.map(String));
    const ascending = await db.query<{ amount: unknown }>(
      `SELECT amount FROM ${table} ORDER BY ${uintOrder(db, 'amount')}`,
    );
    expect(ascending.map((r) => String(r.amount))).toEqual([...descending].reverse().map(String));

    const sum = async (where = '') =>
      (await db.query<{ total: string | null }>(`SELECT ${uintSum(db, 'amount')} AS total FROM ${table} ${where}`))[0]
        ?.total;
    // 2 × (2^256 − 1) + 10^77 + …: 78 digits, beyond any DECIMAL of MySQL.
    const total = AMOUNTS.reduce((a, b) => a + b, 0n);
    expect(total.toString().length).toBe(78);
    expect(await sum()).toBe(total.toString());
    // A carry out of the low 39 digits: (10^39 − 1) + 10^39 + 9 + 10.
    const carry = [10n ** 39n - 1n, 10n ** 39n, 9n, 10n].reduce((a, b) => a + b, 0n);
    expect(await sum(`WHERE amount IN ('${[10n ** 39n - 1n, 10n ** 39n, 9n, 10n].join("', '")}')`)).toBe(
      carry.toString(),
    );
    expect(await sum("WHERE amount = '0'")).toBe('0');
    expect(await sum('WHERE block_number < 0')).toBeNull();
  });
});

describe('uint256 on mysql: canonical text only', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('mysql');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('error: a uint256 that is not canonical decimal text is refused, not stored (its order and sum rely on it)', async () => {
    const { db } = t;
    if (!spec) throw new Error('no Transfer spec');
    const target = eventTarget(db.schemas, spec);
    const row = (value: unknown, i: number) => [
      1,
      900 + i,
      `0x${'e'.repeat(63)}${i}`,
      0,
      '0x1',
      0,
      TOKEN,
      null,
      null,
      null,
      value,
    ];
    for (const [i, bad] of ['007', '-1', '1.5', '1e3', ` ${MAX}`, `${MAX}0`].entries()) {
      await expect(db.writeRows(target, [row(bad, i)]), bad).rejects.toThrow(/CONSTRAINT|Data too long/);
    }
    expect(await db.writeRows(target, [row(MAX, 9)])).toBe(1);
  });
});

describe.each(ENGINES)('evm-events of an ERC-20 minting 2^256−1, against anvil, on %s', (engine) => {
  let anvil: Anvil;
  let driver: ChainDriver;
  let t: TestDb;

  beforeAll(async () => {
    [anvil, t] = await Promise.all([startAnvil(), openTestDb(engine)]);
    driver = await createChainDriver(anvil);
    // The constructor emits Transfer(0x0, deployer, supply): a real log carrying 2^256 − 1.
    await driver.deployErc20(MAX);
    await driver.fill(6, 4);
  });
  afterAll(async () => {
    await anvil?.close();
    await t?.close();
  });

  /** One evm-events run over the chain: the shipped erc20 set of the token, unless `settings` says otherwise. */
  function run(settings: Record<string, string> = {}) {
    const config = testConfig({
      EVM_RPC_URLS: anvil.url,
      EVM_EVENTS: 'erc20',
      EVM_EVENT_TOKENS: `BIG:${driver.token}:18`,
      EVM_START_BLOCK: '0',
      EVM_EVENTS_RANGE: '4',
      ...settings,
    });
    const log = silentLogger();
    const ctx = {
      config,
      db: t.db,
      log,
      runner: createRunner({ db: t.db, log }),
      signal: new AbortController().signal,
    };
    return runEvmEvents({ ...ctx, trigger: 'manual', args: {} }, { retry: { baseMs: 1 } });
  }

  /** Staging and the warehouse hold exactly the node's Transfer logs, values to the digit. */
  async function expectCanonical() {
    const logs = await anvil.rpc<{ blockHash: string; logIndex: string; data: string }[]>('eth_getLogs', [
      { fromBlock: '0x0', toBlock: 'latest', address: driver.token },
    ]);
    const want = logs.map((l) => [l.blockHash, Number(l.logIndex), BigInt(l.data).toString()]).sort();
    const s = t.db.schemas;
    for (const [table, value] of [
      [`${s.staging}.evm_event_erc20_transfer`, '"value"'],
      [`${s.warehouse}.erc20_transfers`, 'amount'],
    ] as const) {
      const rows = await t.db.query<{ block_hash: string; log_index: number; v: unknown }>(
        `SELECT block_hash, log_index, ${value} AS v FROM ${table}`,
      );
      expect(rows.map((r) => [r.block_hash, Number(r.log_index), String(r.v)]).sort(), table).toEqual(want);
    }
  }

  it('behavior: a contract set defined at run time (EVM_EVENTS_FILE) gets its table made for the engine, loads exactly, reruns add 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ce-events-'));
    const file = join(dir, 'sets.json');
    writeFileSync(
      file,
      JSON.stringify([
        {
          name: 'mine',
          chainId: 31337,
          addresses: [driver.token],
          abi: ['event Transfer(address indexed from, address indexed to, uint256 value)'],
          startBlock: 0,
        },
      ]),
    );
    const runFile = () => run({ EVM_EVENTS: '', EVM_EVENTS_FILE: file });
    const first = await runFile();
    expect(first.status, first.error).toBe('succeeded');
    const logs = await anvil.rpc<{ blockHash: string; logIndex: string; data: string }[]>('eth_getLogs', [
      { fromBlock: '0x0', toBlock: 'latest', address: driver.token },
    ]);
    const table = `${t.db.schemas.staging}.evm_event_mine_transfer`;
    const rows = await t.db.query<{ block_hash: string; log_index: number; v: unknown }>(
      `SELECT block_hash, log_index, "value" AS v FROM ${table}`,
    );
    expect(rows.map((r) => [r.block_hash, Number(r.log_index), String(r.v)]).sort()).toEqual(
      logs.map((l) => [l.blockHash, Number(l.logIndex), BigInt(l.data).toString()]).sort(),
    );
    expect(rows.some((r) => String(r.v) === MAX.toString())).toBe(true);
    const again = await runFile();
    expect(again.status, again.error).toBe('succeeded');
    expect(await count(t.db, table)).toBe(rows.length);
  });

  it('behavior: the mint loads exactly into staging and erc20_transfers; a reorg leaves exactly the canonical logs', async () => {
    const first = await run();
    expect(first.status, first.error).toBe('succeeded');
    await expectCanonical();
    const s = t.db.schemas;
    const [mint] = await t.db.query<{ amount: unknown; amount_units: unknown }>(
      `SELECT amount, amount_units FROM ${s.warehouse}.erc20_transfers WHERE from_address = $1`,
      [`0x${'0'.repeat(40)}`],
    );
    expect(String(mint?.amount)).toBe(MAX.toString());
    expect(trimUnits(String(mint?.amount_units))).toBe(
      '115792089237316195423570985008687907853269984665640564039457.584007913129639935',
    );

    const [a, b] = driver.accounts as [Hex, Hex];
    await anvil.rpc('anvil_reorg', [3, [[driver.tokenTransfer(a, b, 424242n), 0]]]);
    await driver.resync();
    await driver.fill(2, 2);
    const again = await run();
    expect(again.status, again.error).toBe('succeeded');
    await expectCanonical();
  });
});
