import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/types.ts';
import type { JobResult } from '../src/jobs/defineJob.ts';
import { type ContractSet, TRANSFER_EVENT } from '../src/sources/evm/events/contracts.ts';
import type { Json } from './fixtures/evm/fields.ts';
import { mainnet2016, parityMainnet, parityTransferFilterLogs, type RecordedChain } from './fixtures/evm/recorded.ts';
import { type FixtureNode, serveChain } from './fixtures/evm/rpcServer.ts';
import { runEvmEventsJob } from './fixtures/evm/runJob.ts';
import { testConfig } from './helpers/config.ts';
import { count, openTestDb, POSTGRES_ENGINES, type TestDb } from './helpers/databases.ts';

/** Mainnet block 483920 (0x76250): two ERC-20 Transfer logs of this token, as Parity recorded them. */
const BLOCK = 0x76250;
const TOKEN = '0xf4eced2f682ce333f96f2d8966c613ded8fc95dd';
const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const WETH = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2';
/** The receipt holding the block's second Transfer (log index 1). */
const SECOND_TX = '0xcea6f89720cc1d2f46cc7a935463ae0b99dd5fad9c91bb7357de5421511cee49';

type Log = Json & { topics: string[]; data: string };

/** The recorded logs of the chain's blocks with Transfer's topic0, in block and log order, read from the receipts. */
function recordedTransfers(chain: RecordedChain): Log[] {
  return [...chain.blocks.values()]
    .flatMap((block) => block.transactions)
    .flatMap((tx) => (chain.receipts.get(tx.hash as string)?.logs ?? []) as Log[])
    .filter((l) => l.topics[0] === TRANSFER_TOPIC);
}

/** The address a topic holds (its last 20 bytes). */
const topicAddress = (topic: string) => `0x${topic.slice(26)}`;

describe.each(POSTGRES_ENGINES)('evm-events on recorded Parity mainnet logs (%s)', (engine) => {
  let t: TestDb;
  let db: Db;
  let node: FixtureNode | undefined;

  beforeAll(async () => {
    t = await openTestDb(engine);
    db = t.db;
  });
  beforeEach(async () => {
    for (const table of ['evm_event_erc20_transfer', 'evm_event_parity_tok_transfer', 'evm_event_any_transfer']) {
      const [exists] = await db.query<{ t: string | null }>(`SELECT to_regclass('staging.${table}')::text AS t`);
      if (exists?.t) await db.exec(`DELETE FROM staging.${table}`);
    }
    await db.exec(`DELETE FROM staging.evm_tokens`);
    await db.exec(`DELETE FROM etl.rejects WHERE stream LIKE 'evm.%'`);
    await db.exec(`DELETE FROM etl.watermarks WHERE stream LIKE 'evm.%'`);
  });
  afterEach(async () => {
    await node?.close();
    node = undefined;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function serve(chain: RecordedChain): Promise<FixtureNode> {
    node = await serveChain(chain);
    return node;
  }

  /** evm-events over blocks `from`–`to` (483920 alone): the shipped `erc20` set with `tokens` as EVM_EVENT_TOKENS, and `sets`. */
  function run(tokens: string, sets: ContractSet[] = [], [from, to] = [BLOCK, BLOCK]): Promise<JobResult> {
    const config = testConfig({
      EVM_RPC_URLS: node?.url,
      EVM_EVENTS: 'erc20',
      EVM_EVENT_TOKENS: tokens,
      EVM_CONFIRMATIONS: '0',
      HTTP_MAX_RETRIES: '2',
    });
    return runEvmEventsJob(db, config, { from: String(from), to: String(to) }, sets);
  }

  async function rpc(method: string, params: unknown[]): Promise<unknown> {
    const res = await fetch(node?.url as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    return ((await res.json()) as { result: unknown }).result;
  }

  async function transfers(table: string): Promise<Json[]> {
    return db.query<Json>(`SELECT * FROM staging.${table} ORDER BY log_index`);
  }

  /** Every column of each row is what its raw recorded log says. */
  function expectDecoded(rows: Json[], logs: Log[]): void {
    expect(rows).toHaveLength(logs.length);
    for (const [i, log] of logs.entries()) {
      const row = rows[i] as Json;
      expect(Number(row.chain_id)).toBe(1);
      expect(Number(row.block_number)).toBe(Number(log.blockNumber));
      expect(row.block_hash).toBe(log.blockHash);
      expect(Number(row.log_index)).toBe(Number(log.logIndex));
      expect(row.tx_hash).toBe(log.transactionHash);
      expect(Number(row.tx_index)).toBe(Number(log.transactionIndex));
      expect(row.emitter).toBe(String(log.address).toLowerCase());
      expect(row.from).toBe(topicAddress(log.topics[1] as string));
      expect(row.to).toBe(topicAddress(log.topics[2] as string));
      // numeric(78,0) read back as text: the exact integer of the 32-byte data word.
      expect(String(row.value)).toBe(BigInt(log.data).toString());
    }
  }

  it('behavior: the fixture node answers eth_getLogs, assembled from the receipts, as Parity answered the same filter', async () => {
    const chain = parityMainnet();
    await serve(chain);
    const filter = { fromBlock: '0x76250', toBlock: '0x76250', topics: [[TRANSFER_TOPIC]] };
    expect(await rpc('eth_getLogs', [filter])).toEqual(parityTransferFilterLogs());
    expect(await rpc('eth_getLogs', [{ ...filter, address: [TOKEN.toUpperCase().replace('0X', '0x')] }])).toEqual(
      parityTransferFilterLogs(),
    );
    expect(await rpc('eth_getLogs', [{ ...filter, address: [WETH] }])).toEqual([]);
    expect(await rpc('eth_getLogs', [{ ...filter, topics: [[`0x${'00'.repeat(32)}`]] }])).toEqual([]);
    expect(await rpc('eth_getLogs', [{ ...filter, fromBlock: '0xb872', toBlock: '0xb873' }])).toEqual([]);
  });

  it("behavior: the erc20 set naming the token decodes Parity's real Transfers column for column; a rerun adds 0", async () => {
    const chain = parityMainnet();
    const logs = recordedTransfers(chain);
    expect(logs.map((l) => [l.transactionLogIndex, l.type])).toEqual([
      ['0x0', 'mined'],
      ['0x0', 'mined'],
    ]);
    await serve(chain);
    const first = await run(`TKN:${TOKEN}:18`);
    expect(first.status, first.error).toBe('succeeded');
    // Loaded: the two events (the token list's row in staging.evm_tokens is configuration, not counted).
    expect(first.runs.map((r) => [r.stream, r.rowsExtracted, r.rowsLoaded, r.rowsRejected])).toEqual([
      ['evm.1.events.erc20', 2, 2, 0],
    ]);
    expect(await db.query('SELECT chain_id, address, symbol, decimals FROM staging.evm_tokens')).toEqual([
      { chain_id: 1, address: TOKEN, symbol: 'TKN', decimals: 18 },
    ]);
    const rows = await transfers('evm_event_erc20_transfer');
    expectDecoded(rows, logs);
    expect(rows.map((r) => String(r.value))).toEqual(['100000', '200000']);
    // Parity sends no blockTimestamp and the shipped set asks no block times.
    expect(rows.map((r) => r.block_time)).toEqual([null, null]);
    // Parity's extra log fields (transactionLogIndex, type) are neither rejects nor recorded as drift.
    expect(await count(db, 'etl.rejects', `WHERE stream LIKE 'evm.%'`)).toBe(0);
    expect(await count(db, 'etl.schema_changes', `WHERE stream LIKE 'evm.%'`)).toBe(0);

    const again = await run(`TKN:${TOKEN}:18`);
    expect(again.status, again.error).toBe('succeeded');
    expect(again.runs.map((r) => [r.rowsExtracted, r.rowsLoaded, r.rowsRejected])).toEqual([[2, 0, 0]]);
    expect(await count(db, 'staging.evm_event_erc20_transfer')).toBe(2);
    expect(await transfers('evm_event_erc20_transfer')).toEqual(rows);
  });

  it('behavior: a token list without the token loads none of its logs', async () => {
    await serve(parityMainnet());
    const result = await run(`WETH:${WETH}:18`);
    expect(result.status, result.error).toBe('succeeded');
    expect(await count(db, 'staging.evm_event_erc20_transfer')).toBe(0);
  });

  it("behavior: blockTimes with a node that sends no blockTimestamp: the recorded header's timestamp, checked against the log's block hash", async () => {
    const chain = parityMainnet();
    const timestamp = Number(chain.blocks.get(BLOCK)?.timestamp);
    expect(timestamp).toBe(1446561880); // 2015-11-03T14:44:40Z
    await serve(chain);
    const set: ContractSet = { name: 'parity_tok', addresses: [TOKEN], abi: [TRANSFER_EVENT], blockTimes: true };
    const result = await run(`WETH:${WETH}:18`, [set]);
    expect(result.status, result.error).toBe('succeeded');
    const rows = await transfers('evm_event_parity_tok_transfer');
    expectDecoded(rows, recordedTransfers(chain));
    for (const row of rows) expect(row.block_time).toEqual(new Date(timestamp * 1000));
  });

  it('behavior: a Transfer with the value indexed (ERC-721 shape; a modified recorded log) goes to etl.rejects whole, the other loads', async () => {
    // No recorded log of Transfer's topic0 has 4 topics (ethereum-etl's and execution-apis' recordings searched):
    // the block's second log is changed into the ERC-721 shape, its value word moved from data to a fourth topic.
    const chain = parityMainnet();
    const nft = chain.receipts.get(SECOND_TX)?.logs[0] as Log;
    nft.topics = [...nft.topics, nft.data];
    nft.data = '0x';
    await serve(chain);
    const result = await run(`TKN:${TOKEN}:18`);
    expect(result.status, result.error).toBe('succeeded');
    expect(result.runs.map((r) => [r.rowsExtracted, r.rowsRejected])).toEqual([[2, 1]]);
    expectDecoded(await transfers('evm_event_erc20_transfer'), recordedTransfers(chain).slice(0, 1));
    const rejects = await db.query<{ stream: string; reason: string; payload: Json }>(
      `SELECT stream, reason, payload FROM etl.rejects WHERE stream LIKE 'evm.%'`,
    );
    expect(rejects).toHaveLength(1);
    expect(rejects[0]?.stream).toBe('evm.1.events.erc20');
    expect(rejects[0]?.reason).toMatch(/3 indexed topics, the ABI declares 2/);
    // The raw log as the node sent it, Parity's own fields included.
    expect(rejects[0]?.payload).toEqual(nft);
  });

  it("behavior: 2016 mainnet logs in geth's shape: a Transfer of 5·10^18 loads exact, the receiver's other event does not; every emitter too; a rerun adds 0", async () => {
    const chain = mainnet2016();
    const [log, ...more] = recordedTransfers(chain);
    expect(more).toEqual([]);
    const token = String(log?.address);
    await serve(chain);
    const range: [number, number] = [0x1ac9f2, 0x1ac9f3];
    // No addresses: every emitter of Transfer, here the same one log.
    const any: ContractSet = { name: 'any', abi: [TRANSFER_EVENT] };
    const result = await run(`TOK:${token}:18`, [any], range);
    expect(result.status, result.error).toBe('succeeded');
    expect(result.runs.map((r) => [r.stream, r.rowsExtracted, r.rowsRejected])).toEqual([
      ['evm.1.events.erc20', 1, 0],
      ['evm.1.events.any', 1, 0],
    ]);
    for (const table of ['evm_event_erc20_transfer', 'evm_event_any_transfer']) {
      const rows = await transfers(table);
      expectDecoded(rows, [log as Log]);
      expect(String(rows[0]?.value)).toBe('5000000000000000000');
    }
    expect(await count(db, 'etl.rejects', `WHERE stream LIKE 'evm.%'`)).toBe(0);
    const again = await run(`TOK:${token}:18`, [any], range);
    expect(again.status, again.error).toBe('succeeded');
    expect(again.runs.map((r) => r.rowsLoaded)).toEqual([0, 0]);
    expect(await count(db, 'staging.evm_event_erc20_transfer')).toBe(1);
  });
});
