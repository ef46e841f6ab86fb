/**
 * Queue executor overhead: jobs/s and enqueue-to-start latency (p50, p99) of 10,000 no-op jobs on two workers
 * through the product's queue executor (trigger → BullMQ, each run with its own job id and the job's
 * deduplication id → job runner), beside a bare BullMQ queue and two bare workers on the same Redis, and their
 * ratio (goal ≥ 0.8), in one run. A third side, bare BullMQ adding the same two options, splits the gap into
 * what BullMQ's deduplication costs BullMQ itself and what the executor's own code costs. After a warm-up of
 * each, rounds alternate the sides; the median round of each counts. CPU is shown for this process (workers
 * and enqueuer share it) and for the Redis server (on this machine it shares the same cores).
 *
 *   npx tsx bench/queue.ts [jobs=10000] [concurrency=8]
 *
 * Needs Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379); each round works under its own prefix,
 * deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pLimit from 'p-limit';
import type { Db } from '../src/db/types.ts';
import { silentLogger } from '../src/internal/logger.ts';
import { createJobRunner } from '../src/jobs/jobRunner.ts';
import { QUEUE_NAME, redisConnection } from '../src/jobs/queueConnection.ts';
import { createQueueExecutor } from '../src/jobs/queueExecutor.ts';
import { jobOptions } from '../src/jobs/queueSchedules.ts';
import { createRunner } from '../src/pipeline/runner.ts';
import { assertRedis, dropPrefix, queueConfig, REDIS_URL, testJob, uniquePrefix } from '../test/helpers/queue.ts';

const JOBS = Number(process.argv[2] ?? 10_000);
const CONCURRENCY = Number(process.argv[3] ?? 8);
/** Triggers in flight at once while enqueueing, for both sides. */
const ENQUEUE_PARALLEL = 50;
const ROUNDS = 5;

interface Round {
  jobsPerSec: number;
  p50: number;
  p99: number;
  /** CPU of this process per job (workers and enqueuer share it): steadier than wall time on a busy machine. */
  cpuUs: number;
  /** CPU of the Redis server per job: on this machine it shares the same cores. */
  redisUs: number;
}

/** The no-op jobs never touch the database; a use would be a bench bug, so it throws. */
const noDb = new Proxy({} as Db, {
  get: (_t, key) => (key === 'schemas' ? { etl: 'etl', staging: 'staging', warehouse: 'warehouse' } : undefined),
});

function summarize(
  enqueuedAt: Map<string, number>,
  startedAt: Map<string, number>,
  time: { first: number; last: number; cpu: NodeJS.CpuUsage; redisSeconds: number },
): Round {
  const jobs = enqueuedAt.size;
  const latencies = [...startedAt].map(([key, at]) => at - (enqueuedAt.get(key) ?? at)).sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    jobsPerSec: jobs / ((time.last - time.first) / 1000),
    p50: pct(50),
    p99: pct(99),
    cpuUs: (time.cpu.user + time.cpu.system) / jobs,
    redisUs: (time.redisSeconds * 1e6) / jobs,
  };
}

const redis = new Redis(REDIS_URL);
/** CPU seconds the Redis server has used so far (user + system, from INFO). */
async function redisCpuSeconds(): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** Measures `work` (enqueue everything, wait until drained): wall time, this process's CPU and Redis's. */
async function timed(work: () => Promise<void>) {
  const redis0 = await redisCpuSeconds();
  const cpu0 = process.cpuUsage();
  const first = performance.now();
  await work();
  const last = performance.now();
  const cpu = process.cpuUsage(cpu0);
  return { first, last, cpu, redisSeconds: (await redisCpuSeconds()) - redis0 };
}

async function drained(queue: Queue): Promise<void> {
  for (;;) {
    const counts = await queue.getJobCounts('active', 'wait', 'delayed', 'prioritized');
    if (Object.values(counts).every((n) => n === 0)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Bare BullMQ: a queue and two workers with default options. With `dedup`, each job is added with the two
 * options the executor adds to every run (its own job id, and a deduplication id), to show what those cost
 * BullMQ itself.
 */
async function bare(jobs = JOBS, dedup = false): Promise<Round> {
  const prefix = uniquePrefix();
  const connection = redisConnection(REDIS_URL);
  const queue = new Queue(QUEUE_NAME, { connection, prefix });
  const enqueuedAt = new Map<string, number>();
  const startedAt = new Map<string, number>();
  const workers = [0, 1].map(
    () =>
      new Worker(
        QUEUE_NAME,
        async (job) => {
          startedAt.set(job.name, performance.now());
          return { ok: true };
        },
        { connection, prefix, concurrency: CONCURRENCY },
      ),
  );
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const limit = pLimit(ENQUEUE_PARALLEL);
  const time = await timed(async () => {
    await Promise.all(
      Array.from({ length: jobs }, (_, i) =>
        limit(async () => {
          const name = `noop-${i}`;
          const options = dedup
            ? { ...jobOptions(1, 5_000), jobId: randomUUID(), deduplication: { id: name } }
            : jobOptions(1, 5_000);
          enqueuedAt.set(name, performance.now());
          await queue.add(name, { trigger: 'manual', args: {} }, options);
        }),
      ),
    );
    await drained(queue);
  });
  await Promise.all(workers.map((w) => w.close()));
  await queue.close();
  await dropPrefix(prefix);
  return summarize(enqueuedAt, startedAt, time);
}

async function product(jobs = JOBS): Promise<Round> {
  const prefix = uniquePrefix();
  const config = queueConfig(prefix);
  const log = silentLogger();
  const enqueuedAt = new Map<string, number>();
  const startedAt = new Map<string, number>();
  const catalogue = Array.from({ length: jobs }, (_, i) =>
    testJob(`noop-${i}`, async () => {
      startedAt.set(`noop-${i}`, performance.now());
      return undefined;
    }),
  );
  const runner = createRunner({ db: noDb, log });
  const jobRunner = createJobRunner({ config, db: noDb, log, runner });
  const executor = (worker: boolean) =>
    createQueueExecutor({
      config,
      catalogue,
      jobRunner,
      db: noDb,
      log,
      worker: worker && { concurrency: CONCURRENCY },
    });
  const workers = [executor(true), executor(true)];
  const client = executor(false);
  await Promise.all(workers.map((w) => w.start()));
  const queue = new Queue(QUEUE_NAME, { connection: redisConnection(REDIS_URL), prefix });
  const limit = pLimit(ENQUEUE_PARALLEL);
  const time = await timed(async () => {
    await Promise.all(
      catalogue.map((job) =>
        limit(async () => {
          enqueuedAt.set(job.name, performance.now());
          await client.trigger(job.name);
        }),
      ),
    );
    await drained(queue);
  });
  await Promise.all([...workers, client].map((e) => e.stop()));
  await queue.close();
  await dropPrefix(prefix);
  return summarize(enqueuedAt, startedAt, time);
}

await assertRedis();
const fmt = (r: Round) =>
  `${r.jobsPerSec.toFixed(0).padStart(6)} jobs/s   latency p50 ${r.p50.toFixed(1).padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms   CPU ${r.cpuUs.toFixed(0).padStart(4)} µs/job   Redis ${r.redisUs.toFixed(0).padStart(3)} µs/job`;
process.stdout.write(
  `${JOBS} no-op jobs, 2 workers × concurrency ${CONCURRENCY}, ${ENQUEUE_PARALLEL} enqueues in flight, Redis ${REDIS_URL}\n`,
);
const sides = {
  'bare BullMQ': () => bare(),
  'bare + dedup ids': () => bare(JOBS, true),
  'queue executor': () => product(),
};
type Side = keyof typeof sides;
await bare(JOBS / 10);
await bare(JOBS / 10, true);
await product(JOBS / 10);
const results = new Map<Side, Round[]>();
for (let round = 1; round <= ROUNDS; round++) {
  for (const [side, run] of Object.entries(sides) as [Side, () => Promise<Round>][]) {
    const r = await run();
    results.set(side, [...(results.get(side) ?? []), r]);
    process.stdout.write(`round ${round} ${side.padEnd(17)} ${fmt(r)}\n`);
  }
}
const median = (side: Side) =>
  [...(results.get(side) ?? [])].sort((x, y) => x.jobsPerSec - y.jobsPerSec)[Math.floor(ROUNDS / 2)] as Round;
const b = median('bare BullMQ');
const d = median('bare + dedup ids');
const p = median('queue executor');
process.stdout.write(
  `\nmedian bare BullMQ       ${fmt(b)}\nmedian bare + dedup ids  ${fmt(d)}\nmedian queue executor    ${fmt(p)}\n`,
);
const ratio = (x: Round, y: Round) => (x.jobsPerSec / y.jobsPerSec).toFixed(2);
process.stdout.write(
  `ratio (executor / bare) jobs/s ${ratio(p, b)} (goal ≥ 0.8)   p50 latency bare/executor ${(b.p50 / p.p50).toFixed(2)}\n` +
    `  of which BullMQ's deduplication and job ids: bare + dedup ids / bare ${ratio(d, b)}; executor / (bare + dedup ids) ${ratio(p, d)}\n`,
);
process.exit(0);
