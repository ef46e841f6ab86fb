/**
 * EVM block ETL throughput: blocks/s and transactions/s loaded into PostgreSQL from anvil (the evm-blocks job,
 * all four tables, COPY, reorg checks), beside a raw batched JSON-RPC fetch of the same blocks and receipts
 * with no writes — the node's own limit — and their ratio (goal ≥ 0.8), measured side by side in one run.
 *
 *   npx tsx bench/evm.ts [blocks=2000] [txPerBlock=10]
 *
 * Needs PostgreSQL (TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test); a throwaway database
 * is created and dropped.
 */
import { silentLogger } from '../src/internal/logger.ts';
import { runEvmBlocks } from '../src/jobs/evmJobs.ts';
import { createRunner } from '../src/pipeline/runner.ts';
import { jsonRpc, startAnvil } from '../src/sandbox/evm/anvil.ts';
import { createChainDriver } from '../src/sandbox/evm/chainDriver.ts';
import { testConfig } from '../test/helpers/config.ts';
import { count, openTestDb } from '../test/helpers/databases.ts';

const blocks = Number(process.argv[2] ?? 2_000);
const perBlock = Number(process.argv[3] ?? 10);
const BATCH = 100;
const CONCURRENCY = 4;

/** The same blocks and receipts as the ETL asks for, same batch size and concurrency, parsed and dropped. */
async function rawFetch(url: string, from: number, to: number): Promise<{ ms: number; txs: number }> {
  const rpc = jsonRpc(url);
  const started = performance.now();
  let next = from;
  let txs = 0;
  const worker = async () => {
    while (next <= to) {
      const start = next;
      const end = Math.min(to, start + BATCH - 1);
      next = end + 1;
      const numbers = Array.from({ length: end - start + 1 }, (_, i) => `0x${(start + i).toString(16)}`);
      const [bodies] = await Promise.all([
        rpc.batch<{ transactions: unknown[] }>(
          numbers.map((n) => ({ method: 'eth_getBlockByNumber', params: [n, true] })),
        ),
        rpc.batch(numbers.map((n) => ({ method: 'eth_getBlockReceipts', params: [n] }))),
      ]);
      for (const b of bodies) txs += b.transactions.length;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { ms: performance.now() - started, txs };
}

const ROUNDS = 3;
const anvil = await startAnvil();
const testDb = await openTestDb('postgres');
try {
  process.stdout.write(`filling anvil with ${blocks} blocks of ${perBlock} transactions…\n`);
  const driver = await createChainDriver(anvil);
  await driver.fill(blocks, perBlock);
  const head = await driver.head();
  const from = 1;
  const n = head - from + 1;
  const log = silentLogger();
  const config = testConfig({
    EVM_RPC_URLS: anvil.url,
    EVM_BATCH_SIZE: String(BATCH),
    EVM_CONCURRENCY: String(CONCURRENCY),
  });
  const db = testDb.db;
  const raw: number[] = [];
  const etl: number[] = [];
  let txs = 0;
  // Rounds alternate raw and ETL so a neighbour's load on the shared machine weighs on both alike.
  for (let round = 0; round < ROUNDS; round++) {
    const fetched = await rawFetch(anvil.url, from, head);
    raw.push(fetched.ms);
    txs = fetched.txs;
    await db.exec(
      'TRUNCATE staging.evm_blocks, staging.evm_transactions, staging.evm_receipts, staging.evm_logs; DELETE FROM etl.watermarks',
    );
    const started = performance.now();
    const result = await runEvmBlocks({
      config,
      db,
      log,
      runner: createRunner({ db, log }),
      signal: new AbortController().signal,
      trigger: 'manual',
      args: { from: String(from), to: String(head) },
    });
    etl.push(performance.now() - started);
    if (result.status !== 'succeeded') throw new Error(`evm-blocks failed: ${result.error}`);
  }
  const loadedBlocks = await count(db, 'staging.evm_blocks');
  const loadedTxs = await count(db, 'staging.evm_transactions');
  const loadedLogs = await count(db, 'staging.evm_logs');
  if (loadedBlocks !== n || loadedTxs !== txs) throw new Error('the ETL did not load every block and transaction');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rate = (units: number, ms: number) => ((units * 1000) / ms).toFixed(0).padStart(6);
  const runs = (xs: number[]) => xs.map((x) => `${x.toFixed(0)} ms`).join(', ');
  const line = (label: string, xs: number[]) =>
    `${label} ${rate(n, mean(xs))} blocks/s ${rate(txs, mean(xs))} tx/s   (${runs(xs)})`;
  process.stdout.write(
    [
      `blocks ${from}–${head}: ${n} blocks, ${txs} transactions, ${loadedLogs} logs; batches of ${BATCH} blocks, ${CONCURRENCY} in flight`,
      line('raw batched fetch, no writes  ', raw),
      line('evm-blocks into PostgreSQL    ', etl),
      `ratio ETL / raw fetch: ${(mean(raw) / mean(etl)).toFixed(2)} (goal ≥ 0.8)`,
      '',
    ].join('\n'),
  );
} finally {
  await testDb.close();
  await anvil.close();
}
