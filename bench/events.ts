/**
 * Contract-event throughput: the evm-events job (eth_getLogs over adaptive ranges, ABI decoding, a typed table per
 * event, rejects, reorg checks, watermark per range) beside the plainest path — raw eth_getLogs in 1,000-block
 * windows, then one COPY of the undecoded logs — on the same anvil chain, into PostgreSQL, side by side in one run:
 * events/s, peak RSS of each (each runs in its own process), and their ratio (goal ≥ 0.5).
 *
 *   npx tsx bench/events.ts [blocks=2000] [eventsPerBlock=10] [distractorsPerBlock=5] [--per-tx N] [--rounds N]
 *     [--only events|raw] [--hold]
 *
 * `--per-tx N`: each transaction emits N of the block's Transfer events (a looping emitter), so a chain of a
 * million events fills in a minute: `npx tsx bench/events.ts 10000 100 1 --per-tx 100 --only events` is the
 * 1,000,000-event memory run (goal: peak RSS < 300 MB). Each child also samples `process.memoryUsage()` every
 * 100 ms and reports the peak heap and external/array-buffer bytes beside the kernel's peak RSS. `--hold` keeps the
 * filled chain and the database up after the fill and prints the child's command line, for profiling by hand.
 *
 * Needs PostgreSQL (TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test); a throwaway database is
 * created and dropped.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { concat, encodeAbiParameters, type Hex, pad, toHex } from 'viem';
import { openPostgres } from '../src/db/postgres.ts';
import { silentLogger } from '../src/internal/logger.ts';
import { runEvmEvents } from '../src/jobs/evmEventsJob.ts';
import { createRunner } from '../src/pipeline/runner.ts';
import { jsonRpc, startAnvil } from '../src/sandbox/evm/anvil.ts';
import { emitCalldata, logEmitterCode, setLogEmitter } from '../src/sandbox/evm/logEmitter.ts';
import { TRANSFER_EVENT } from '../src/sources/evm/events/contracts.ts';
import { testConfig } from '../test/helpers/config.ts';
import { DEFAULT_SCHEMAS, openTestDb } from '../test/helpers/databases.ts';

const TOKEN: Hex = '0x00000000000000000000000000000000000070c3';
const OTHER: Hex = '0x00000000000000000000000000000000000070c4';
const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const APPROVAL_TOPIC = '0x8c5be1e5ebec7d5bd14b71427e967bd2bb9b0bdb5ee0c30a4f6c1a1d8a2aee5c';
const WINDOW = 1_000;

interface Outcome {
  ms: number;
  events: number;
  maxRssMb: number;
  /** Peaks of `process.memoryUsage()` sampled every 100 ms. */
  heapMb: number;
  externalMb: number;
}

/**
 * Runtime code that emits `count` Transfer-shaped logs per call (LOG3, topics from the calldata, the third one
 * plus the loop counter; data = the counter): calldata is count, topic0, topic1, topic2 (32 bytes each).
 *
 *   PUSH1 0 CALLDATALOAD                       count
 *   loop: JUMPDEST DUP1 ISZERO PUSH1 end JUMPI
 *     DUP1 PUSH1 0 MSTORE                      data = i
 *     DUP1 PUSH1 0x60 CALLDATALOAD ADD         topic2 + i
 *     PUSH1 0x40 CALLDATALOAD PUSH1 0x20 CALLDATALOAD   topic1, topic0
 *     PUSH1 32 PUSH1 0 LOG3
 *     PUSH1 1 SWAP1 SUB PUSH1 loop JUMP        i - 1
 *   end: JUMPDEST STOP
 */
const MULTI_EMITTER: Hex = '0x6000355b801560245780600052806060350160403560203560206000a3600190036003565b00';

/** Raw baseline: eth_getLogs per 1,000 blocks, then one COPY of every log as the node sent it. */
async function raw(url: string, dbUrl: string, from: number, to: number): Promise<number> {
  const db = await openPostgres({ url: dbUrl, schemas: DEFAULT_SCHEMAS });
  try {
    await db.exec(
      'CREATE TABLE IF NOT EXISTS bench_raw_logs (block_number bigint, block_hash text, log_index int, tx_hash text, address text, topics jsonb, data text, PRIMARY KEY (block_hash, log_index)); TRUNCATE bench_raw_logs',
    );
    const rpc = jsonRpc(url);
    const rows: unknown[][] = [];
    for (let start = from; start <= to; start += WINDOW) {
      const logs = await rpc.rpc<Record<string, string & string[]>[]>('eth_getLogs', [
        {
          fromBlock: toHex(start),
          toBlock: toHex(Math.min(to, start + WINDOW - 1)),
          address: TOKEN,
          topics: [TRANSFER_TOPIC],
        },
      ]);
      for (const l of logs) {
        rows.push([
          Number(l.blockNumber),
          l.blockHash,
          Number(l.logIndex),
          l.transactionHash,
          l.address,
          l.topics,
          l.data,
        ]);
      }
    }
    const target = {
      table: 'bench_raw_logs',
      columns: ['block_number', 'block_hash', 'log_index', 'tx_hash', 'address', 'topics', 'data'],
      key: ['block_hash', 'log_index'],
      onConflict: 'ignore' as const,
    };
    await db.transaction((tx) => tx.writeRows(target, rows));
    return rows.length;
  } finally {
    await db.close();
  }
}

/** The evm-events job, one contract set (the token's Transfer), windows starting at 1,000 blocks. */
async function events(url: string, dbUrl: string, from: number, to: number): Promise<number> {
  const db = await openPostgres({ url: dbUrl, schemas: DEFAULT_SCHEMAS });
  try {
    await db.exec('DROP TABLE IF EXISTS staging.evm_event_bench_transfer; DELETE FROM etl.watermarks');
    const log = silentLogger();
    const config = testConfig({
      EVM_RPC_URLS: url,
      DATABASE_URL: dbUrl,
      EVM_EVENTS: '',
      EVM_EVENTS_RANGE: String(WINDOW),
    });
    const result = await runEvmEvents(
      {
        config,
        db,
        log,
        runner: createRunner({ db, log }),
        signal: new AbortController().signal,
        trigger: 'manual',
        args: { from: String(from), to: String(to) },
      },
      { sets: [{ name: 'bench', addresses: [TOKEN], abi: [TRANSFER_EVENT] }] },
    );
    if (result.status !== 'succeeded') throw new Error(`evm-events failed: ${result.error}`);
    return result.runs.reduce((n, r) => n + r.rowsLoaded, 0);
  } finally {
    await db.close();
  }
}

if (process.argv[2] === '--child') {
  const [mode, url, dbUrl, from, to] = process.argv.slice(3) as [string, string, string, string, string];
  let heap = 0;
  let external = 0;
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed);
    external = Math.max(external, m.external + m.arrayBuffers);
  }, 100);
  const started = performance.now();
  const n = await (mode === 'raw' ? raw : events)(url, dbUrl, Number(from), Number(to));
  clearInterval(sample);
  const outcome: Outcome = {
    ms: performance.now() - started,
    events: n,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapMb: heap / 2 ** 20,
    externalMb: external / 2 ** 20,
  };
  process.stdout.write(JSON.stringify(outcome));
  process.exit(0);
}

const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const flag = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const blocks = Number(positional[0] ?? 2_000);
const perBlock = Number(positional[1] ?? 10);
const distractors = Number(positional[2] ?? 5);
const perTx = Number(flag('per-tx') ?? 1);
const ROUNDS = Number(flag('rounds') ?? 2);
const only = flag('only');
if (perBlock % perTx !== 0) throw new Error(`--per-tx ${perTx} must divide eventsPerBlock ${perBlock}`);
const anvil = await startAnvil(['--gas-limit', '100000000']);
const testDb = await openTestDb('postgres');
try {
  process.stdout.write(
    `filling anvil with ${blocks} blocks of ${perBlock} Transfer events (${perTx} per transaction) and ${distractors} distractors…\n`,
  );
  const [sender] = await anvil.rpc<Hex[]>('eth_accounts');
  await anvil.rpc('anvil_setCode', [TOKEN, perTx > 1 ? MULTI_EMITTER : logEmitterCode(3)]);
  await setLogEmitter(anvil, OTHER, 3);
  await anvil.rpc('evm_setAutomine', [false]);
  let nonce = Number(await anvil.rpc<string>('eth_getTransactionCount', [sender, 'pending']));
  const send = (to: Hex, calldata: Hex, gas = 0x20000) => ({
    method: 'eth_sendTransaction',
    params: [{ from: sender, to, data: calldata, gas: toHex(gas), nonce: toHex(nonce++) }],
  });
  const from = Number(await anvil.rpc<string>('eth_blockNumber')) + 1;
  for (let b = 0; b < blocks; b++) {
    const calls = [];
    for (let t = 0; t < perBlock / perTx; t++) {
      if (perTx > 1) {
        // The looping emitter: Transfers from t+1 to (base + 1 … base + perTx), amounts 1 … perTx.
        const base = b * perBlock + t * perTx;
        const calldata = concat([pad(toHex(perTx)), TRANSFER_TOPIC, pad(toHex(t + 1)), pad(toHex(base))]);
        calls.push(send(TOKEN, calldata, 40_000 + perTx * 3_000));
      } else {
        const amount = encodeAbiParameters([{ type: 'uint256' }], [BigInt(b * perBlock + t) * 10n ** 15n]);
        calls.push(send(TOKEN, emitCalldata([TRANSFER_TOPIC, pad(toHex(t + 1)), pad(toHex(b + 1))], amount)));
      }
    }
    for (let i = 0; i < distractors; i++) {
      const amount = encodeAbiParameters([{ type: 'uint256' }], [BigInt(i)]);
      // Another token's Transfers and this token's Approvals: same emitter or same topic, not the set's logs.
      calls.push(
        i % 2 === 0 || perTx > 1
          ? send(OTHER, emitCalldata([TRANSFER_TOPIC, pad(toHex(i + 1)), pad(toHex(b + 1))], amount))
          : send(TOKEN, emitCalldata([APPROVAL_TOPIC, pad(toHex(i + 1)), pad(toHex(b + 1))], amount)),
      );
    }
    await anvil.batch(calls);
    await anvil.rpc('evm_mine');
    if (b % 1000 === 999) process.stdout.write(`  ${b + 1} blocks\n`);
  }
  const head = Number(await anvil.rpc<string>('eth_blockNumber'));
  const dbUrl = testDb.url as string;
  const child = (mode: string): Outcome =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(import.meta.url),
          '--child',
          mode,
          anvil.url,
          dbUrl,
          String(from),
          String(head),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
      ),
    );
  if (process.argv.includes('--hold')) {
    // For profiling: the chain and the database stay up; run a child by hand (under --cpu-prof, --heapsnapshot-…).
    const args = `${anvil.url} ${dbUrl} ${from} ${head}`;
    process.stdout.write(
      `holding (Ctrl-C ends): node --import tsx ${fileURLToPath(import.meta.url)} --child events|raw ${args}\n`,
    );
    await new Promise((resolve) => process.once('SIGINT', resolve));
  }
  const rawRuns: Outcome[] = [];
  const etlRuns: Outcome[] = [];
  // Rounds alternate so a neighbour's load on the shared machine weighs on both alike.
  for (let round = 0; round < ROUNDS; round++) {
    if (only !== 'events') rawRuns.push(child('raw'));
    if (only !== 'raw') etlRuns.push(child('events'));
  }
  const expected = blocks * perBlock;
  for (const r of [...rawRuns, ...etlRuns]) {
    if (r.events !== expected) throw new Error(`loaded ${r.events} events, expected ${expected}`);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const line = (label: string, runs: Outcome[]) =>
    runs.length === 0
      ? `${label} (not run)`
      : `${label} ${((expected * 1000) / mean(runs.map((r) => r.ms))).toFixed(0).padStart(7)} events/s   peak RSS ${Math.max(...runs.map((r) => r.maxRssMb)).toFixed(0)} MB (heap ${Math.max(...runs.map((r) => r.heapMb)).toFixed(0)} MB, external ${Math.max(...runs.map((r) => r.externalMb)).toFixed(0)} MB)   (${runs.map((r) => `${r.ms.toFixed(0)} ms`).join(', ')})`;
  const ratios = etlRuns.map((r, i) => ((rawRuns[i]?.ms ?? Number.NaN) / r.ms).toFixed(2));
  process.stdout.write(
    [
      `blocks ${from}–${head}: ${expected} Transfer events of one token among ${blocks * distractors} distractors; PostgreSQL`,
      line('raw eth_getLogs (1,000-block windows) + one COPY', rawRuns),
      line('evm-events (decoded, typed table, checkpoints) ', etlRuns),
      rawRuns.length && etlRuns.length
        ? `ratio evm-events / raw: ${(mean(rawRuns.map((r) => r.ms)) / mean(etlRuns.map((r) => r.ms))).toFixed(2)} (per round ${ratios.join(', ')}; goal ≥ 0.5)`
        : '',
      '',
    ].join('\n'),
  );
} finally {
  await testDb.close();
  await anvil.close();
}
