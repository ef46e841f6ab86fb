import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOf } from '../src/db/engines.ts';
import type { Db } from '../src/db/types.ts';
import type { JobResult } from '../src/jobs/defineJob.ts';
import type { StreamProgress } from '../src/pipeline/runner.ts';
import { type Anvil, startAnvil } from '../src/sandbox/evm/anvil.ts';
import { type ChainDriver, createChainDriver } from '../src/sandbox/evm/chainDriver.ts';
import { checkEvmBlocks } from '../src/transforms/quality/evmBlocks.ts';
import { runQualityChecks } from '../src/transforms/quality/runQualityChecks.ts';
import { applyRetention } from '../src/transforms/retention.ts';
import { expectSameFields, type Json } from './fixtures/evm/fields.ts';
import { runEvmJob } from './fixtures/evm/runJob.ts';
import { testConfig } from './helpers/config.ts';
import { count, type EngineName, openTestDb, type TestDb } from './helpers/databases.ts';
import { type RpcProxy, startRpcProxy } from './helpers/rpcProxy.ts';

const ENGINES: EngineName[] = ['pglite', 'postgres', 'mysql'];

describe.each(ENGINES)('evm-blocks against anvil on %s', (engine) => {
  let anvil: Anvil;
  /** The schemas: MariaDB's are databases of their own, named per test run. */
  let s: { etl: string; staging: string; warehouse: string };
  let driver: ChainDriver;
  let t: TestDb;
  let db: Db;
  let proxy: RpcProxy;
  let revertedTx: string;
  let emptyBlock: number;

  beforeAll(async () => {
    [anvil, t] = await Promise.all([startAnvil(), openTestDb(engine)]);
    db = t.db;
    s = db.schemas;
    proxy = await startRpcProxy(anvil.url);
    driver = await createChainDriver(anvil);
    await driver.deployErc20();
    await driver.fill(20, 6);
    await driver.mine([]);
    emptyBlock = await driver.head();
    // More tokens than the sender holds: the transfer reverts (status 0, no log).
    [revertedTx] = (await driver.mine([
      driver.tokenTransfer(driver.accounts[2] as `0x${string}`, driver.accounts[3] as `0x${string}`, 10n ** 40n),
    ])) as [string];
    await driver.fill(4, 6);
  });
  afterAll(async () => {
    await proxy?.close();
    await anvil?.close();
    await t?.close();
  });

  function run(
    args: Json = {},
    settings: Record<string, string> = {},
    signal?: AbortSignal,
    onProgress?: (p: StreamProgress) => void,
  ): Promise<JobResult> {
    const config = testConfig({
      EVM_RPC_URLS: anvil.url,
      EVM_START_BLOCK: '0',
      EVM_BATCH_SIZE: '4',
      EVM_CONCURRENCY: '3',
      HTTP_MAX_RETRIES: '6',
      ...settings,
    });
    return runEvmJob(db, config, args, { signal, onProgress });
  }

  /** The node's whole chain: blocks with transactions, receipts by block. */
  async function nodeChain() {
    const head = await driver.head();
    const heights = Array.from({ length: head + 1 }, (_, i) => `0x${i.toString(16)}`);
    const blocks = await anvil.batch<Json & { hash: string; transactions: Json[] }>(
      heights.map((h) => ({ method: 'eth_getBlockByNumber', params: [h, true] })),
    );
    const receipts = await anvil.batch<(Json & { logs: Json[] })[]>(
      heights.map((h) => ({ method: 'eth_getBlockReceipts', params: [h] })),
    );
    return { head, blocks, receipts, logs: receipts.flat().flatMap((r) => r.logs) };
  }

  /** Staging holds exactly the node's canonical chain: same blocks, transactions, receipts and logs, no others. */
  async function expectCanonical(): Promise<void> {
    const chain = await nodeChain();
    const stored = await db.query<{ number: number; hash: string }>(
      `SELECT number, hash FROM ${s.staging}.evm_blocks ORDER BY number`,
    );
    expect(stored.map((b) => [Number(b.number), b.hash])).toEqual(chain.blocks.map((b, i) => [i, b.hash]));
    const txs = await db.query<{ hash: string }>(`SELECT hash FROM ${s.staging}.evm_transactions ORDER BY hash`);
    const nodeTxs = chain.blocks.flatMap((b) => b.transactions.map((tx) => tx.hash as string)).sort();
    expect(txs.map((r) => r.hash)).toEqual(nodeTxs);
    const receipts = await db.query<{ h: string }>(
      `SELECT transaction_hash AS h FROM ${s.staging}.evm_receipts ORDER BY 1`,
    );
    expect(receipts.map((r) => r.h)).toEqual(nodeTxs);
    expect(await count(db, `${s.staging}.evm_logs`)).toBe(chain.logs.length);
    const hashes = chain.blocks.map((b) => `'${b.hash}'`).join(',');
    for (const table of ['evm_transactions', 'evm_receipts', 'evm_logs']) {
      expect(await count(db, `${s.staging}.${table}`, `WHERE block_hash NOT IN (${hashes})`), table).toBe(0);
    }
    const checks = await checkEvmBlocks(db);
    expect(checks.map((r) => [r.check, r.subject, r.status])).toEqual([
      ['evm_block_contents', 'evm.31337', 'passed'],
      ['evm_block_gaps', 'evm.31337', 'passed'],
    ]);
  }

  it('behavior: a backfill loads what the node holds, field for field, for a sample of blocks', async () => {
    const head = await driver.head();
    const result = await run({ from: '0', to: String(head) });
    expect(result.status, result.error).toBe('succeeded');
    await expectCanonical();
    const chain = await nodeChain();
    const reverted = chain.receipts.flat().find((r) => r.transactionHash === revertedTx);
    expect(reverted?.status).toBe('0x0');
    const sample = [1, 2, 5, emptyBlock, Number(reverted?.blockNumber), head];
    for (const height of sample) {
      const block = chain.blocks[height] as Json & { hash: string; transactions: Json[] };
      const [row] = await db.query(`SELECT * FROM ${s.staging}.evm_blocks WHERE hash = $1`, [block.hash]);
      expectSameFields('blocks', block, row as Json);
      expect(Number((row as Json).transaction_count)).toBe(block.transactions.length);
      for (const tx of block.transactions) {
        const [txRow] = await db.query(`SELECT * FROM ${s.staging}.evm_transactions WHERE hash = $1`, [tx.hash]);
        expectSameFields('transactions', tx, txRow as Json);
        expect((txRow as { block_time: Date }).block_time.getTime()).toBe(Number(block.timestamp) * 1000);
      }
      for (const receipt of chain.receipts[height] ?? []) {
        const [rRow] = await db.query(`SELECT * FROM ${s.staging}.evm_receipts WHERE transaction_hash = $1`, [
          receipt.transactionHash,
        ]);
        expectSameFields('receipts', receipt, rRow as Json);
        expect(Number((rRow as Json).log_count)).toBe(receipt.logs.length);
        for (const entry of receipt.logs) {
          const [lRow] = await db.query(
            `SELECT * FROM ${s.staging}.evm_logs WHERE transaction_hash = $1 AND log_index = $2`,
            [entry.transactionHash, Number(entry.logIndex)],
          );
          expectSameFields('logs', entry, lRow as Json);
          const topics = [0, 1, 2, 3].map((i) => (lRow as Json)[`topic${i}`]).filter((v) => v !== null);
          expect(topics).toEqual(entry.topics);
        }
      }
    }
    const sampled = sample.map((h) => chain.blocks[h] as { transactions: Json[] });
    expect(sampled.some((b) => b.transactions.some((tx) => tx.to === null))).toBe(true);
    expect(new Set(sampled.flatMap((b) => b.transactions.map((tx) => tx.type))).size).toBeGreaterThanOrEqual(2);
  });

  it('behavior: a rerun of the same range adds 0 rows', async () => {
    const before = await count(db, `${s.staging}.evm_transactions`);
    const result = await run({ from: '0', to: String(await driver.head()) });
    expect(result.status, result.error).toBe('succeeded');
    expect(result.runs[0]?.rowsExtracted).toBeGreaterThan(0);
    expect(result.runs[0]?.rowsLoaded).toBe(0);
    expect(await count(db, `${s.staging}.evm_transactions`)).toBe(before);
  });

  it('behavior: chain_daily adds up blocks, gas and senders', async () => {
    const chain = await nodeChain();
    const byDay = new Map<string, { blocks: number; txs: number; gas: bigint; senders: Set<string> }>();
    for (const b of chain.blocks) {
      const day = new Date(Number(b.timestamp) * 1000).toISOString().slice(0, 10);
      const d = byDay.get(day) ?? { blocks: 0, txs: 0, gas: 0n, senders: new Set<string>() };
      d.blocks++;
      d.txs += b.transactions.length;
      d.gas += BigInt(b.gasUsed as string);
      for (const tx of b.transactions) d.senders.add(tx.from as string);
      byDay.set(day, d);
    }
    const daily = await db.query<Json>(
      `SELECT ${engineOf(db).dateText('day')} AS day, blocks, transactions, gas_used AS gas, distinct_senders
       FROM ${s.warehouse}.chain_daily ORDER BY day`,
    );
    expect(
      daily.map((d) => [d.day, Number(d.blocks), Number(d.transactions), String(d.gas), Number(d.distinct_senders)]),
    ).toEqual([...byDay].map(([day, d]) => [day, d.blocks, d.txs, d.gas.toString(), d.senders.size]));
  });

  it('behavior: a reorg deeper than a batch leaves exactly the canonical chain', async () => {
    const head = await driver.head();
    const orphaned = (await nodeChain()).blocks.slice(head - 6).flatMap((b) => b.transactions.map((tx) => tx.hash));
    const [a, b, c] = driver.accounts as [string, string, string];
    await anvil.rpc('anvil_reorg', [
      7,
      [
        [{ from: a, to: b, value: '0x1234', gas: '0x5208' }, 0],
        [driver.tokenTransfer(b as `0x${string}`, c as `0x${string}`, 77n), 3],
      ],
    ]);
    await driver.resync();
    await driver.fill(2, 3);
    const result = await run();
    expect(result.status, result.error).toBe('succeeded');
    await expectCanonical();
    const left = await db.query(`SELECT hash FROM ${s.staging}.evm_transactions WHERE hash = ANY($1::text[])`, [
      orphaned,
    ]);
    expect(left).toEqual([]);
    const [cursor] = await db.query<{ cursor: { next: number } }>(
      `SELECT "cursor" FROM ${s.etl}.watermarks WHERE stream = 'evm.31337.blocks'`,
    );
    expect(cursor?.cursor.next).toBe((await driver.head()) + 1);
  });

  it('behavior: a node answering HTTP 429, -32005 and dropped connections for a while is waited out', async () => {
    await db.exec(`DELETE FROM ${s.staging}.evm_blocks; DELETE FROM ${s.staging}.evm_transactions;`);
    await db.exec(
      `DELETE FROM ${s.staging}.evm_receipts; DELETE FROM ${s.staging}.evm_logs; DELETE FROM ${s.etl}.watermarks WHERE stream LIKE 'evm.%'`,
    );
    proxy.setFault((_calls, request) => {
      if (request < 4) {
        return {
          status: 429,
          body: {
            jsonrpc: '2.0',
            id: 1,
            error: {
              code: -32005,
              message: 'daily request count exceeded, request rate limited',
              data: { rate: { allowed_rps: 1, backoff_seconds: 0, current_rps: 2.2 } },
            },
          },
        };
      }
      if (request < 8) return { rpcError: { code: -32005, message: 'project ID request rate exceeded' } };
      if (request < 10) return { drop: true };
      return undefined;
    });
    const result = await run({}, { EVM_RPC_URLS: proxy.url });
    proxy.setFault(undefined);
    expect(result.status, result.error).toBe('succeeded');
    expect(proxy.stats.faults).toBe(10);
    await expectCanonical();
  });

  it('behavior: a node refusing a response size gets smaller ranges', async () => {
    await db.exec(`DELETE FROM ${s.staging}.evm_logs; DELETE FROM ${s.staging}.evm_receipts`);
    const before = proxy.stats.callsPerRequest.length;
    proxy.setFault((calls) =>
      calls.length > 2 ? { rpcError: { code: -32003, message: 'response too large' } } : undefined,
    );
    const result = await run({ from: '0', to: String(await driver.head()) }, { EVM_RPC_URLS: proxy.url });
    proxy.setFault(undefined);
    expect(result.status, result.error).toBe('succeeded');
    const sizes = proxy.stats.callsPerRequest.slice(before);
    expect(Math.max(...sizes)).toBe(4);
    expect(sizes.filter((n) => n > 2).length).toBeLessThan(sizes.length / 2);
    await expectCanonical();
  });

  it('behavior: without eth_getBlockReceipts the receipts come per transaction', async () => {
    await db.exec(`DELETE FROM ${s.staging}.evm_logs; DELETE FROM ${s.staging}.evm_receipts`);
    proxy.setFault((calls) =>
      calls.some((c) => c.method === 'eth_getBlockReceipts')
        ? { rpcError: { code: -32601, message: 'the method eth_getBlockReceipts does not exist/is not available' } }
        : undefined,
    );
    const byTx = proxy.stats.methods.get('eth_getTransactionReceipt') ?? 0;
    const result = await run({ from: '0', to: String(await driver.head()) }, { EVM_RPC_URLS: proxy.url });
    proxy.setFault(undefined);
    expect(result.status, result.error).toBe('succeeded');
    expect((proxy.stats.methods.get('eth_getTransactionReceipt') ?? 0) - byTx).toBe(
      await count(db, `${s.staging}.evm_transactions`),
    );
    await expectCanonical();
    const chain = await nodeChain();
    for (const receipt of chain.receipts[2] ?? []) {
      const [row] = await db.query(`SELECT * FROM ${s.staging}.evm_receipts WHERE transaction_hash = $1`, [
        receipt.transactionHash,
      ]);
      expectSameFields('receipts', receipt, row as Json);
    }
  });

  it('behavior: --follow loads new blocks as they come and ends cleanly when stopped', async () => {
    const stop = new AbortController();
    const following = run({ follow: true }, { EVM_POLL_INTERVAL_MS: '100' }, stop.signal);
    await driver.fill(3, 2);
    const target = await driver.head();
    const deadline = Date.now() + 20_000;
    while ((await count(db, `${s.staging}.evm_blocks`, `WHERE number = ${target}`)) === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    stop.abort();
    const result = await following;
    expect(result.status, result.error).toBe('succeeded');
    await expectCanonical();
  });

  it('args: --from and --to as dates cover the blocks of those UTC days, shown as progress', async () => {
    const chain = await nodeChain();
    const dayOf = (b: Json) => new Date(Number(b.timestamp) * 1000).toISOString().slice(0, 10);
    const day = dayOf(chain.blocks[chain.head] as Json);
    const heights = chain.blocks.flatMap((b, i) => (dayOf(b) === day ? [i] : []));
    const progress: StreamProgress[] = [];
    const result = await run({ from: day, to: day }, {}, undefined, (p) => progress.push(p));
    expect(result.status, result.error).toBe('succeeded');
    expect(progress.at(-1)).toMatchObject({ stream: 'evm.31337.blocks', done: heights.length, total: heights.length });
    const [first] = await db.query<{ first_block: number }>(
      `SELECT first_block FROM ${s.warehouse}.chain_daily WHERE day = '${day}'`,
    );
    expect(Number(first?.first_block)).toBe(heights[0]);
  });

  it('args: --to beyond the confirmed head is refused, nothing written', async () => {
    const before = await count(db, `${s.staging}.evm_blocks`);
    const head = await driver.head();
    const result = await run({ from: '0', to: String(head + 50) });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/ETL_INPUT_INVALID: .*--to \d+ is beyond block \d+.*add --follow/);
    expect(await count(db, `${s.staging}.evm_blocks`)).toBe(before);
  });

  it('behavior: the quality checks fail on a log whose block is not stored; retention trims old runs, never the chain', async () => {
    const evmChecks = async () =>
      (await runQualityChecks(db, { jobs: [], priceJumpPct: 20 })).results.filter((r) => r.check.startsWith('evm_'));
    expect((await evmChecks()).map((r) => [r.check, r.status])).toEqual([
      ['evm_block_contents', 'passed'],
      ['evm_block_gaps', 'passed'],
    ]);
    const strayBlock = `0x${'be'.repeat(32)}`;
    await db.query(
      `INSERT INTO ${s.staging}.evm_logs (chain_id, transaction_hash, log_index, block_number, block_hash, block_time,
         transaction_index, address, topic0, topic1, topic2, topic3, data)
       SELECT chain_id, $1, log_index, block_number, $2, block_time, transaction_index, address, topic0, topic1, topic2,
         topic3, data
       FROM ${s.staging}.evm_logs ORDER BY block_number DESC, log_index LIMIT 1`,
      [`0x${'de'.repeat(32)}`, strayBlock],
    );
    const failed = await evmChecks();
    expect(failed.map((r) => [r.check, r.status, r.value])).toEqual([
      ['evm_block_contents', 'failed', 1],
      ['evm_block_gaps', 'passed', 0],
    ]);
    expect(failed[0]?.details).toMatchObject({ rowsWithoutBlock: [{ table: 'logs', blockHash: strayBlock, rows: 1 }] });
    const stored = await db.query<{ status: string }>(
      `SELECT status FROM ${s.etl}.quality_results WHERE check_name = 'evm_block_contents' ORDER BY checked_at`,
    );
    expect(stored.map((r) => r.status)).toEqual(['passed', 'failed']);
    await db.query(`DELETE FROM ${s.staging}.evm_logs WHERE block_hash = $1`, [strayBlock]);

    const blocks = await count(db, `${s.staging}.evm_blocks`);
    const runs = await count(db, `${s.etl}.runs`);
    await db.query(
      `INSERT INTO ${s.etl}.runs (job, stream, status, started_at) VALUES ('evm-blocks', $1, 'succeeded', $2)`,
      ['evm.31337.blocks', new Date(Date.UTC(2000, 0, 1))],
    );
    const deleted = await applyRetention(db, 30, { now: new Date(Date.UTC(2000, 2, 1)) });
    expect(deleted[`${s.etl}.runs`]).toBe(1);
    expect(await count(db, `${s.etl}.runs`)).toBe(runs);
    expect(await count(db, `${s.staging}.evm_blocks`)).toBe(blocks);
  });
});
