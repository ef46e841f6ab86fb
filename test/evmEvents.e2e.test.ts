import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AbiEvent,
  decodeEventLog,
  encodeAbiParameters,
  encodeEventTopics,
  getAddress,
  type Hex,
  parseAbiItem,
} from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/types.ts';
import { silentLogger } from '../src/internal/logger.ts';
import type { JobResult } from '../src/jobs/defineJob.ts';
import { runEvmEvents } from '../src/jobs/evmEventsJob.ts';
import { createRunner } from '../src/pipeline/runner.ts';
import { type Anvil, startAnvil } from '../src/sandbox/evm/anvil.ts';
import { emitCalldata, setLogEmitter } from '../src/sandbox/evm/logEmitter.ts';
import { eventSpec } from '../src/sources/evm/events/abi.ts';
import { builtInSets, type ContractSet, specsOf } from '../src/sources/evm/events/contracts.ts';
import { testConfig } from './helpers/config.ts';
import { count, openTestDb, POSTGRES_ENGINES, type TestDb } from './helpers/databases.ts';
import { type Fault, type RpcProxy, startRpcProxy } from './helpers/rpcProxy.ts';

const SHAPES = parseAbiItem(
  'event Shapes(address indexed who, uint256 indexed amount, string indexed tag, int128 delta, bool flag, bytes blob, bytes32 id, string note, uint256[] list, (address a, uint64 b) pair, int8 small, address target)',
) as AbiEvent;
const TRANSFER = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)') as AbiEvent;
const NOISE = parseAbiItem('event Noise(uint256 n)') as AbiEvent;
const SHAPES_AT: Hex = '0x00000000000000000000000000000000005a9e51';
const NOISE_AT: Hex = '0x000000000000000000000000000000000000401e';
/** An ERC-721-style emitter at the same address: Transfer with the token id indexed too (4 topics). */
const TOKEN_AT: Hex = '0x0000000000000000000000000000000000070ce1';
const NFT_AT: Hex = '0x0000000000000000000000000000000000070ce2';

const shapesSet: ContractSet = { name: 'shapes', addresses: [SHAPES_AT], abi: [SHAPES], startBlock: 0 };
const tokenSet: ContractSet = { name: 'tok', addresses: [TOKEN_AT, NFT_AT], abi: [TRANSFER], startBlock: 0 };

/**
 * A node in front of anvil whose logs may lack `blockTimestamp` (as geth's before 1.16): counts the `eth_getLogs`
 * and `eth_getBlockByNumber` calls it forwards.
 */
async function startTimestampProxy(target: string) {
  const state = { strip: false, getLogs: 0, headers: 0 };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    for (const call of [JSON.parse(body)].flat() as { method: string }[]) {
      if (call.method === 'eth_getLogs') state.getLogs++;
      if (call.method === 'eth_getBlockByNumber') state.headers++;
    }
    const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const replies = (await upstream.json()) as { result?: unknown } | { result?: unknown }[];
    for (const reply of [replies].flat()) {
      if (!state.strip || !Array.isArray(reply.result)) continue;
      for (const item of reply.result as Record<string, unknown>[]) if ('logIndex' in item) delete item.blockTimestamp;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(replies));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

function shapesArgs(i: number) {
  return {
    who: `0x${(0xabc0 + i).toString(16).padStart(40, '0')}` as Hex,
    amount: 10n ** 30n + BigInt(i),
    tag: `tag-${i}`,
    delta: -(2n ** 100n) + BigInt(i),
    flag: i % 2 === 0,
    blob: `0x${'ab'.repeat(i % 5)}${'0'.repeat((i % 5) * 0)}` as Hex,
    id: `0x${(i + 1).toString(16).padStart(64, '0')}` as Hex,
    note: `note ${i} — ünïcode`,
    list: [BigInt(i), 2n ** 255n, 0n],
    pair: { a: '0x00000000000000000000000000000000000000ff' as Hex, b: BigInt(i) * 1_000n },
    small: -(i % 100),
    target: getAddress('0xabcdef0123456789abcdef0123456789abcdef01'),
  };
}

describe.each(POSTGRES_ENGINES)('evm-events against anvil on %s', (engine) => {
  let anvil: Anvil;
  let t: TestDb;
  let db: Db;
  let proxy: RpcProxy;
  let sender: Hex;
  const emitted = new Map<number, ReturnType<typeof shapesArgs>>();

  async function send(to: Hex, topics: readonly Hex[], data: Hex) {
    await anvil.rpc('eth_sendTransaction', [{ from: sender, to, data: emitCalldata(topics, data), gas: '0x100000' }]);
  }
  async function emitShapes(i: number) {
    const args = shapesArgs(i);
    emitted.set(i, args);
    const nonIndexed = SHAPES.inputs.filter((p) => !('indexed' in p && p.indexed));
    const topics = encodeEventTopics({
      abi: [SHAPES],
      args: { who: args.who, amount: args.amount, tag: args.tag },
    } as never);
    const data = encodeAbiParameters(nonIndexed, nonIndexed.map((p) => args[p.name as keyof typeof args]) as never);
    await send(SHAPES_AT, topics as Hex[], data);
  }
  async function emitTransfer(at: Hex, i: number, nft = false) {
    const from = `0x${(i + 1).toString(16).padStart(64, '0')}` as Hex;
    const to = `0x${(i + 2).toString(16).padStart(64, '0')}` as Hex;
    const value = encodeAbiParameters([{ type: 'uint256' }], [BigInt(i) * 10n ** 18n]);
    if (nft) await send(at, [TRANSFER_TOPIC, from, to, value], '0x');
    else await send(at, [TRANSFER_TOPIC, from, to], value);
  }
  async function mine(fill: () => Promise<void>) {
    await fill();
    await anvil.rpc('evm_mine');
  }
  const TRANSFER_TOPIC = eventSpec('x', TRANSFER).selector;

  beforeAll(async () => {
    [anvil, t] = await Promise.all([startAnvil(), openTestDb(engine)]);
    db = t.db;
    proxy = await startRpcProxy(anvil.url);
    sender = (await anvil.rpc<Hex[]>('eth_accounts'))[0] as Hex;
    await setLogEmitter(anvil, SHAPES_AT, 4);
    await setLogEmitter(anvil, NOISE_AT, 1);
    await setLogEmitter(anvil, TOKEN_AT, 3);
    await setLogEmitter(anvil, NFT_AT, 4);
    await anvil.rpc('evm_setAutomine', [false]);
    for (let b = 0; b < 30; b++) {
      await mine(async () => {
        await emitShapes(b);
        await send(NOISE_AT, [eventSpec('x', NOISE).selector], encodeAbiParameters([{ type: 'uint256' }], [BigInt(b)]));
        for (let k = 0; k < 3; k++) await emitTransfer(TOKEN_AT, b * 3 + k);
        if (b % 10 === 5) await emitTransfer(NFT_AT, b, true);
      });
    }
  });
  afterAll(async () => {
    await proxy?.close();
    await anvil?.close();
    await t?.close();
  });

  function run(
    args: Record<string, unknown> = {},
    settings: Record<string, string> = {},
    url = anvil.url,
    { sets = [shapesSet, tokenSet], signal = new AbortController().signal } = {},
  ): Promise<JobResult> {
    const config = testConfig({
      EVM_RPC_URLS: url,
      EVM_EVENTS: '',
      EVM_EVENTS_RANGE: '8',
      EVM_CONCURRENCY: '3',
      ...settings,
    });
    const log = silentLogger();
    return runEvmEvents(
      {
        config,
        db,
        log,
        runner: createRunner({ db, log }),
        signal,
        trigger: 'manual',
        args,
      },
      { retry: { baseMs: 1 }, sets },
    );
  }

  /** The node's logs of a set, as `eth_getLogs` answers them now. */
  async function nodeLogs(address: Hex, topic0: Hex) {
    return anvil.rpc<{ blockHash: string; logIndex: string; topics: string[]; data: string }[]>('eth_getLogs', [
      { fromBlock: '0x0', toBlock: 'latest', address, topics: [topic0] },
    ]);
  }

  async function expectCanonical() {
    const shapes = await nodeLogs(SHAPES_AT, eventSpec('x', SHAPES).selector);
    const rows = await db.query<{ k: string }>(
      `SELECT block_hash || ':' || log_index AS k FROM staging.evm_event_shapes_shapes ORDER BY 1`,
    );
    expect(rows.map((r) => r.k)).toEqual(shapes.map((l) => `${l.blockHash}:${Number(l.logIndex)}`).sort());
    const transfers = (await nodeLogs(TOKEN_AT, TRANSFER_TOPIC)).length;
    expect(await count(db, 'staging.evm_event_tok_transfer')).toBe(transfers);
  }

  it('behavior: every ABI shape decodes to the values emitted, indexed and not; distractors are not loaded', async () => {
    const result = await run();
    expect(result.status, result.error).toBe('succeeded');
    await expectCanonical();
    const rows = await db.query<Record<string, unknown>>(
      'SELECT * FROM staging.evm_event_shapes_shapes ORDER BY block_number',
    );
    expect(rows).toHaveLength(30);
    const logs = await nodeLogs(SHAPES_AT, eventSpec('x', SHAPES).selector);
    for (const [i, row] of rows.entries()) {
      const a = emitted.get(i) as ReturnType<typeof shapesArgs>;
      expect(row.who).toBe(a.who.toLowerCase());
      expect(String(row.amount)).toBe(a.amount.toString());
      // An indexed string is only its keccak256 in the log: stored as that topic.
      expect(row.tag).toBe(logs[i]?.topics[3]);
      expect(String(row.delta)).toBe(a.delta.toString());
      expect(row.flag).toBe(a.flag);
      expect(row.blob).toBe(a.blob);
      expect(row.id).toBe(a.id);
      expect(row.note).toBe(a.note);
      expect(row.list).toEqual(a.list.map(String));
      expect(row.pair).toEqual({ a: a.pair.a.toLowerCase(), b: a.pair.b.toString() });
      expect(String(row.small)).toBe(String(a.small));
      expect(row.target).toBe(a.target.toLowerCase());
      expect(row.emitter).toBe(SHAPES_AT);
      expect(row.block_time).toBeInstanceOf(Date);
      // The same values as viem's decodeEventLog gives for the raw log.
      const log = logs[i] as { data: Hex; topics: Hex[] };
      const viem = decodeEventLog({ abi: [SHAPES], data: log.data, topics: log.topics as never }) as {
        args: Record<string, unknown>;
      };
      expect(String(row.delta)).toBe(String(viem.args.delta));
      expect(row.note).toBe(viem.args.note);
    }
    expect(await count(db, 'staging.evm_event_tok_transfer')).toBe(90);
    const [sum] = await db.query<{ s: string }>('SELECT sum(value)::text AS s FROM staging.evm_event_tok_transfer');
    expect(sum?.s).toBe((((89n * 90n) / 2n) * 10n ** 18n).toString());
  });

  it('behavior: a log the ABI cannot decode goes to etl.rejects with the raw log, its range loads', async () => {
    const rejects = await db.query<{ stream: string; reason: string; payload: { address: string; topics: string[] } }>(
      'SELECT stream, reason, payload FROM etl.rejects ORDER BY id',
    );
    expect(rejects).toHaveLength(3);
    expect(rejects[0]?.stream).toBe('evm.31337.events.tok');
    expect(rejects[0]?.reason).toMatch(/3 indexed topics, the ABI declares 2/);
    expect(rejects[0]?.payload.address).toBe(NFT_AT);
    expect(rejects[0]?.payload.topics).toHaveLength(4);
  });

  it('behavior: a rerun of the whole range adds 0 rows', async () => {
    const head = Number(await anvil.rpc<string>('eth_blockNumber'));
    const result = await run({ from: '0', to: String(head) });
    expect(result.status, result.error).toBe('succeeded');
    expect(result.runs.reduce((n, r) => n + r.rowsLoaded, 0)).toBe(0);
    await expectCanonical();
  });

  it('behavior: a range split forced by the real range errors of Alchemy, Infura and QuickNode loads every log', async () => {
    // Each stand-in answers eth_getLogs wider than its limit with the provider's own words:
    // - Alchemy, github.com/BobTheBuidler/dank_mids/issues/772: -32600 "You can make eth_getLogs requests with up
    //   to a 500 block range. Based on your parameters, this block range should work: [0x123c9b2, 0x123cba5]"
    // - Infura, github.com/INFURA/infura/issues/237: -32602 "range 1000000 exceeds limit of 10000"; and
    //   github.com/status-im/nimbus-eth2/issues/1823: -32005 "query returned more than 10000 results"
    // - QuickNode, github.com/eternalsafe/wallet/issues/57: HTTP 413, -32614 "eth_getLogs is limited to a 10,000 range"
    const hex = (n: number) => `0x${n.toString(16)}`;
    const providers: [string, number, (from: number, to: number) => Fault][] = [
      [
        'Alchemy',
        3,
        (from) => ({
          rpcError: {
            code: -32600,
            message: `You can make eth_getLogs requests with up to a 3 block range. Based on your parameters, this block range should work: [${hex(from)}, ${hex(from + 2)}]`,
          },
        }),
      ],
      [
        'Infura range',
        4,
        (from, to) => ({ rpcError: { code: -32602, message: `range ${to - from + 1} exceeds limit of 4` } }),
      ],
      ['Infura results', 5, () => ({ rpcError: { code: -32005, message: 'query returned more than 10000 results' } })],
      [
        'QuickNode',
        2,
        () => ({
          status: 413,
          body: { jsonrpc: '2.0', id: 1, error: { code: -32614, message: 'eth_getLogs is limited to a 2 range' } },
        }),
      ],
    ];
    for (const [name, limit, answer] of providers) {
      await db.exec(
        'TRUNCATE staging.evm_event_shapes_shapes, staging.evm_event_tok_transfer; DELETE FROM etl.watermarks',
      );
      let refused = 0;
      let widest = 0;
      proxy.setFault((calls) => {
        const getLogs = calls.find((c) => c.method === 'eth_getLogs');
        if (!getLogs) return undefined;
        const filter = getLogs.params?.[0] as { fromBlock: string; toBlock: string };
        const from = Number(filter.fromBlock);
        const to = Number(filter.toBlock);
        if (to - from + 1 > limit) {
          refused++;
          return answer(from, to);
        }
        widest = Math.max(widest, to - from + 1);
        return undefined;
      });
      const result = await run({}, { EVM_EVENTS_RANGE: '16' }, proxy.url);
      proxy.setFault(undefined);
      expect(result.status, `${name}: ${result.error}`).toBe('succeeded');
      expect(refused, name).toBeGreaterThan(0);
      expect(widest, name).toBeLessThanOrEqual(limit);
      await expectCanonical();
    }
  });

  it('behavior: a reorg at the head leaves exactly the canonical logs', async () => {
    await db.exec(
      'TRUNCATE staging.evm_event_shapes_shapes, staging.evm_event_tok_transfer; DELETE FROM etl.watermarks',
    );
    const snapshot = await anvil.rpc<string>('evm_snapshot');
    for (let b = 100; b < 104; b++) await mine(() => emitShapes(b));
    let result = await run();
    expect(result.status, result.error).toBe('succeeded');
    await expectCanonical();
    // The same heights on another branch, with other events (and one block more).
    await anvil.rpc('evm_revert', [snapshot]);
    for (let b = 200; b < 205; b++) {
      await mine(async () => {
        await emitShapes(b);
        await emitTransfer(TOKEN_AT, b);
      });
    }
    result = await run();
    expect(result.status, result.error).toBe('succeeded');
    await expectCanonical();
    const tags = await db.query<{ n: string }>(
      `SELECT note AS n FROM staging.evm_event_shapes_shapes WHERE note ~ '^note [12][0-9][0-9] ' ORDER BY 1`,
    );
    expect(tags.map((r) => r.n.split(' ')[1])).toEqual(['200', '201', '202', '203', '204']);
    // A reorg that keeps the height: only the newest block differs.
    const again = await anvil.rpc<string>('evm_snapshot');
    await mine(() => emitShapes(300));
    expect((await run()).status).toBe('succeeded');
    await anvil.rpc('evm_revert', [again]);
    await mine(() => emitShapes(301));
    result = await run();
    expect(result.status, result.error).toBe('succeeded');
    await expectCanonical();
    expect(await count(db, 'staging.evm_event_shapes_shapes', `WHERE note LIKE 'note 300 %'`)).toBe(0);
  });

  it('behavior: block times only when asked: from the log when the node sends blockTimestamp, else its header', async () => {
    const node = await startTimestampProxy(anvil.url);
    try {
      const untimed: ContractSet = { name: 'untimed', addresses: [TOKEN_AT], abi: [TRANSFER], startBlock: 0 };
      const timed: ContractSet = { ...untimed, name: 'timed', blockTimes: true };
      const transfers = (await nodeLogs(TOKEN_AT, TRANSFER_TOPIC)).length;
      const headersBeside = () => node.state.headers - 2 * node.state.getLogs;

      // Logs without blockTimestamp, times not asked: NULL, and no header beyond the two of each request.
      node.state.strip = true;
      let result = await run({}, {}, node.url, { sets: [untimed] });
      expect(result.status, result.error).toBe('succeeded');
      expect(await count(db, 'staging.evm_event_untimed_transfer')).toBe(transfers);
      expect(await count(db, 'staging.evm_event_untimed_transfer', 'WHERE block_time IS NOT NULL')).toBe(0);
      expect(headersBeside()).toBe(0);

      // Asked: each block's timestamp, from its header.
      result = await run({}, {}, node.url, { sets: [timed] });
      expect(result.status, result.error).toBe('succeeded');
      const rows = await db.query<{ block_number: number | string; block_time: Date | null }>(
        'SELECT block_number, block_time FROM staging.evm_event_timed_transfer ORDER BY block_number, log_index',
      );
      expect(rows).toHaveLength(transfers);
      const blocks = [...new Set(rows.map((r) => Number(r.block_number)))];
      const headers = await anvil.batch<{ timestamp: string }>(
        blocks.map((n) => ({ method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, false] })),
      );
      const timeOf = new Map(blocks.map((n, i) => [n, Number(headers[i]?.timestamp) * 1000]));
      for (const row of rows) expect(row.block_time?.getTime()).toBe(timeOf.get(Number(row.block_number)));
      expect(headersBeside()).toBe(blocks.length);

      // Asked, and the node sends blockTimestamp: the log's, no header fetched for it.
      await db.exec(
        "DROP TABLE staging.evm_event_timed_transfer; DELETE FROM etl.watermarks WHERE stream LIKE '%.timed'",
      );
      node.state.strip = false;
      const before = headersBeside();
      result = await run({}, {}, node.url, { sets: [timed] });
      expect(result.status, result.error).toBe('succeeded');
      expect(await count(db, 'staging.evm_event_timed_transfer', 'WHERE block_time IS NOT NULL')).toBe(transfers);
      expect(headersBeside()).toBe(before);
    } finally {
      await node.close();
    }
  });

  it('behavior: --follow refreshes warehouse.erc20_transfers once caught up with the head', async () => {
    const erc20: ContractSet = { name: 'erc20', addresses: [TOKEN_AT], abi: [TRANSFER], startBlock: 0 };
    const transfers = (await nodeLogs(TOKEN_AT, TRANSFER_TOPIC)).length;
    const stop = new AbortController();
    const following = run({ follow: true }, { EVM_POLL_INTERVAL_MS: '100' }, anvil.url, {
      sets: [erc20],
      signal: stop.signal,
    });
    try {
      // Until the refresh shows every transfer, or the run ends (it must not: it follows until stopped).
      let ended = false;
      void following.finally(() => {
        ended = true;
      });
      while (
        !ended &&
        (await count(db, 'warehouse.erc20_transfers', `WHERE token_address = '${TOKEN_AT}'`)) < transfers
      ) {
        await sleep(50);
      }
      expect(ended).toBe(false);
      expect(await count(db, 'warehouse.erc20_transfers', `WHERE token_address = '${TOKEN_AT}'`)).toBe(transfers);
    } finally {
      stop.abort();
    }
    const result = await following;
    expect(result.status, result.error).toBe('succeeded');
  });

  it('behavior: a wrong --from/--to names evm-events in its message', async () => {
    const result = await run({ from: '10', to: '5' });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/Invalid arguments for evm-events: --from 10 is after --to 5/);
  });

  it('behavior: the migration creates the shipped sets’ tables exactly as the ABI generates them', async () => {
    const sets = builtInSets([], '0x9008d19f58aabd9ed0d60971565aa8510560ab41');
    for (const set of [sets.erc20, sets.cow] as ContractSet[]) {
      for (const spec of specsOf(set)) {
        const cols = await db.query<{ column_name: string; data_type: string }>(
          `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = $1 ORDER BY ordinal_position`,
          [spec.table],
        );
        const expected = [
          'chain_id',
          'block_number',
          'block_hash',
          'log_index',
          'tx_hash',
          'tx_index',
          'emitter',
          'block_time',
          ...spec.columns.map((c) => c.name),
          'loaded_at',
        ];
        expect(cols.map((c) => c.column_name)).toEqual(expected);
      }
    }
  });
});
