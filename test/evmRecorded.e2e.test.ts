import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/types.ts';
import { readWatermark } from '../src/db/watermarks.ts';
import type { JobResult } from '../src/jobs/defineJob.ts';
import { checkEvmBlocks } from '../src/transforms/quality/evmBlocks.ts';
import { expectSameFields, type Json } from './fixtures/evm/fields.ts';
import { gethHiveChain, parityMainnet, type RecordedChain } from './fixtures/evm/recorded.ts';
import { type FixtureNode, serveChain } from './fixtures/evm/rpcServer.ts';
import { runEvmJob } from './fixtures/evm/runJob.ts';
import { runCli } from './helpers/cli.ts';
import { testConfig } from './helpers/config.ts';
import { count, openTestDb, POSTGRES_ENGINES, type TestDb } from './helpers/databases.ts';

const TABLES = ['evm_blocks', 'evm_transactions', 'evm_receipts', 'evm_logs'] as const;
const height = (table: (typeof TABLES)[number]) => (table === 'evm_blocks' ? 'number' : 'block_number');

/** A copy of `chain` whose node sends `patch` merged into the named transaction or receipt. */
function breaking(chain: RecordedChain, what: 'transaction' | 'receipt', hash: string, patch: Json): RecordedChain {
  const copy = structuredClone(chain);
  if (what === 'receipt') Object.assign(copy.receipts.get(hash) as Json, patch);
  else
    for (const b of copy.blocks.values())
      for (const tx of b.transactions) if (tx.hash === hash) Object.assign(tx, patch);
  return copy;
}

describe.each(POSTGRES_ENGINES)('evm-blocks on recorded node answers (%s)', (engine) => {
  let t: TestDb;
  let db: Db;
  let node: FixtureNode | undefined;

  beforeAll(async () => {
    t = await openTestDb(engine);
    db = t.db;
  });
  beforeEach(async () => {
    for (const table of TABLES) await db.exec(`DELETE FROM staging.${table}`);
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

  function run(args: Json, settings: Record<string, string> = {}): Promise<JobResult> {
    const config = testConfig({
      EVM_RPC_URLS: node?.url,
      EVM_CONFIRMATIONS: '0',
      HTTP_MAX_RETRIES: '2',
      ...settings,
    });
    return runEvmJob(db, config, args, { rateLimitPatienceMs: 1_000 });
  }

  async function loadAll(chain: RecordedChain): Promise<void> {
    for (const [from, to] of chain.ranges) {
      const result = await run({ from: String(from), to: String(to) });
      expect(result.status, result.error).toBe('succeeded');
    }
  }

  async function rowsOf(chainId: number, from: number, to: number): Promise<number[]> {
    const counts = [];
    for (const table of TABLES) {
      counts.push(
        await count(
          db,
          `staging.${table}`,
          `WHERE chain_id = ${chainId} AND ${height(table)} BETWEEN ${from} AND ${to}`,
        ),
      );
    }
    return counts;
  }

  /**
   * Staging holds exactly the blocks of `heights` (all by default), each with every transaction, receipt and
   * log the node sent, and each row holds what the node sent, field for field.
   */
  async function expectStored(chain: RecordedChain, heights = [...chain.blocks.keys()]): Promise<void> {
    const chainId = Number(chain.chainId);
    const one = async (sql: string, params: unknown[]) =>
      ((await db.query(sql, [chainId, ...params]))[0] ?? {}) as Json;
    let txs = 0;
    let logs = 0;
    for (const h of heights) {
      const block = chain.blocks.get(h) as Json & { hash: string; transactions: Json[] };
      const row = await one('SELECT * FROM staging.evm_blocks WHERE chain_id = $1 AND hash = $2', [block.hash]);
      expectSameFields('blocks', block, row);
      expect(Number(row.transaction_count)).toBe(block.transactions.length);
      for (const tx of block.transactions) {
        txs++;
        expectSameFields(
          'transactions',
          tx,
          await one('SELECT * FROM staging.evm_transactions WHERE chain_id = $1 AND hash = $2', [tx.hash]),
        );
        const receipt = chain.receipts.get(tx.hash as string) as Json & { logs: Json[] };
        const rRow = await one('SELECT * FROM staging.evm_receipts WHERE chain_id = $1 AND transaction_hash = $2', [
          tx.hash,
        ]);
        // A receipt without from/to (Parity/OpenEthereum) is stored with its transaction's.
        expectSameFields(
          'receipts',
          { ...receipt, from: receipt.from ?? tx.from, to: receipt.to ?? tx.to ?? null },
          rRow,
        );
        expect(Number(rRow.log_count)).toBe(receipt.logs.length);
        for (const entry of receipt.logs) {
          logs++;
          const lRow = await one(
            'SELECT * FROM staging.evm_logs WHERE chain_id = $1 AND transaction_hash = $2 AND log_index = $3',
            [entry.transactionHash, Number(entry.logIndex)],
          );
          expectSameFields('logs', entry, lRow);
          expect([0, 1, 2, 3].map((i) => lRow[`topic${i}`]).filter((v) => v !== null)).toEqual(entry.topics);
        }
      }
    }
    const where = `WHERE chain_id = ${chainId}`;
    expect(await Promise.all(TABLES.map((table) => count(db, `staging.${table}`, where)))).toEqual([
      heights.length,
      txs,
      txs,
      logs,
    ]);
  }

  it.each([
    ['geth on the execution-apis test chain: tx types 0–4, pre-Byzantium root, Prague', gethHiveChain],
    ['Parity/OpenEthereum on mainnet: chainId null, status null, receipts without from/to', parityMainnet],
  ])('behavior: %s — every block is stored whole, field for field', async (_name, recorded) => {
    const chain = recorded();
    await serve(chain);
    await loadAll(chain);
    await expectStored(chain);
    const contents = (await checkEvmBlocks(db)).filter((r) => r.check === 'evm_block_contents');
    expect(contents.map((r) => [r.subject, r.status])).toEqual([[`evm.${Number(chain.chainId)}`, 'passed']]);
    if (!chain.blockReceipts) expect(node?.calls.get('eth_getTransactionReceipt')).toBe(chain.receipts.size);
  });

  it.each([
    ['transaction', 'value', '0x4bcc1dd0c56c0b767b1ee3cb8bce7df44518f1696205299e34eb53a5e00a863e', 47219],
    ['receipt', 'gasUsed', '0x95844e6c54b4aafc8e1f75784127529280e75c3a980d91f6dfca1c1b0eb078fb', 47218],
  ] as const)(
    'error: a %s with %s null fails its range, nothing of it written; the rerun once the node is fixed loads it whole',
    async (what, field, hash, block) => {
      const chain = { ...parityMainnet(), head: '0xb873' };
      await serve(breaking(chain, what, hash, { [field]: null }));
      const settings = { EVM_START_BLOCK: '47218', EVM_BATCH_SIZE: '10' };
      const failed = await run({}, settings);
      expect(failed.status).toBe('failed');
      const record = what === 'receipt' ? `receipt of transaction ${hash}` : `transaction ${hash}`;
      expect(failed.error).toContain(
        `ETL_UPSTREAM_MALFORMED: EVM node ${node?.url}/ returned block ${block} with a malformed ${record} (${field} = null: expected a hex quantity`,
      );
      expect(failed.error).toContain('nothing of blocks 47218–47219 was written');
      expect(await rowsOf(1, 47218, 47219)).toEqual([0, 0, 0, 0]);
      expect(await readWatermark(db, db.schemas, 'evm.1.blocks')).toBeUndefined();
      const [runRow] = await db.query<{ status: string; error: string }>(
        `SELECT status, error FROM etl.runs WHERE stream = 'evm.1.blocks' ORDER BY id DESC LIMIT 1`,
      );
      expect(runRow).toEqual({ status: 'failed', error: failed.error });

      (node as FixtureNode).chain = chain;
      const rerun = await run({}, settings);
      expect(rerun.status, rerun.error).toBe('succeeded');
      await expectStored(chain, [47218, 47219]);
      expect(await readWatermark(db, db.schemas, 'evm.1.blocks')).toMatchObject({ next: 47220 });
    },
  );

  it('error: receipts answered null name the pruned transaction index, not the network; nothing is written', async () => {
    const chain = parityMainnet();
    await serve(chain);
    (node as FixtureNode).override = (call) =>
      call.method === 'eth_getTransactionReceipt' ? { result: null } : undefined;
    const result = await run({ from: '47218', to: '47219' });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(
      /^ETL_EVM_RECEIPT_MISSING: .*eth_getTransactionReceipt answered null for transaction 0x99f1097a\w+ of block 47218, 3 times: the node has likely pruned its transaction index .*use an archive node, or run geth with --history\.transactions=0/,
    );
    expect(result.error).not.toMatch(/check that the node is up|chain moved/);
    expect(await rowsOf(1, 47218, 47219)).toEqual([0, 0, 0, 0]);
  });

  it.each([
    ['eth_blockNumber', null],
    ['eth_chainId', null],
    ['eth_blockNumber', '47219'],
  ])(
    'error: a node answering %s with %j fails the run naming it (not a head or chain of 0); nothing is written',
    async (method, value) => {
      const chain = parityMainnet();
      await serve(chain);
      (node as FixtureNode).override = (call) => (call.method === method ? { result: value } : undefined);
      const result = await run({ from: '47218', to: '47219' });
      expect(result.status).toBe('failed');
      expect(result.error).toContain(
        `ETL_UPSTREAM_MALFORMED: The node answered ${method} with ${JSON.stringify(value)}`,
      );
      expect(await rowsOf(1, 47218, 47219)).toEqual([0, 0, 0, 0]);
      expect(await readWatermark(db, db.schemas, 'evm.1.blocks')).toBeUndefined();
    },
  );

  it.each([
    { code: -32602, message: 'invalid argument 0: hex string without 0x prefix' },
    { code: -32000, message: 'block receipts unavailable' },
  ])('behavior: eth_getBlockReceipts failing with $code falls back to receipts per transaction', async (error) => {
    const chain = gethHiveChain();
    await serve(chain);
    (node as FixtureNode).override = (call) => (call.method === 'eth_getBlockReceipts' ? { error } : undefined);
    await loadAll(chain);
    // Each run (one range here) asks for the receipts of its blocks once, then per transaction.
    expect(node?.calls.get('eth_getBlockReceipts')).toBe(chain.blocks.size);
    expect(node?.calls.get('eth_getTransactionReceipt')).toBe(chain.receipts.size);
    await expectStored(chain);
  });
});

describe('evm-blocks CLI on a malformed block', () => {
  let t: TestDb;
  let node: FixtureNode;

  beforeAll(async () => {
    t = await openTestDb('postgres');
    node = await serveChain(
      breaking(parityMainnet(), 'transaction', '0x99f1097abd8f33a68f0ed63d60de5f3e7e2a3e0579b90d5f46a4f201c658b46d', {
        value: null,
      }),
    );
  });
  afterAll(async () => {
    await node?.close();
    await t?.close();
  });

  it('error: the run exits non-zero, naming block, transaction, field and value; no row of the range exists', async () => {
    const out = await runCli(['run', 'evm-blocks', '--from', '47218', '--to', '47219', '--no-retry'], {
      DATABASE_URL: t.url as string,
      EVM_RPC_URLS: node.url,
      EVM_CONFIRMATIONS: '0',
    });
    expect(out.code).toBe(1);
    expect(out.stdout + out.stderr).toMatch(
      /ETL_UPSTREAM_MALFORMED: .*block 47218 with a malformed transaction 0x99f1097abd8f33a68f0ed63d60de5f3e7e2a3e0579b90d5f46a4f201c658b46d \(value = null: /,
    );
    for (const table of TABLES) expect(await count(t.db, `staging.${table}`), table).toBe(0);
  });
});
