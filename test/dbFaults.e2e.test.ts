import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abandonStaleRuns } from '../src/pipeline/runLog.ts';
import { type CoinGeckoEmulator, startCoinGeckoEmulator } from '../src/sandbox/coingecko/server.ts';
import { applyRetention, RETENTION_TARGETS } from '../src/transforms/retention.ts';
import { freePort, type RunningCli, runCli, startCli, tempDataDir } from './helpers/cli.ts';
import { openTestDb, type TestDb } from './helpers/databases.ts';
import { startTcpProxy, type TcpProxy } from './helpers/tcpProxy.ts';

const API_TOKEN = 'test-token-0123456789abcdef';
const HEARTBEAT_MS = 1_000;
const JOB = 'coingecko-markets';

type RunRecord = { id: number; status: string; error: string | null; rows_loaded: number; rows_extracted: number };

/** Polls `probe` until it returns a value, for at most `timeoutMs`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const backendOf = (client: pg.Client) => (client as unknown as { processID: number }).processID;

const exitOf = (cli: RunningCli) =>
  cli.child.exitCode !== null
    ? Promise.resolve(cli.child.exitCode)
    : new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));

/**
 * `start` (API, scheduler and jobs in one process) and `run` on PostgreSQL, reached through a TCP proxy the test
 * can cut. The test's own connections (`sql` reads, `locker` holds table locks so a run or a read waits inside
 * the database) go straight to the server and are spared when every other backend is terminated.
 */
describe('database faults (PostgreSQL)', () => {
  let t: TestDb;
  let database: string;
  let emulator: CoinGeckoEmulator;
  let proxy: TcpProxy;
  let proxiedUrl: string;
  let sql: pg.Client;
  let locker: pg.Client;
  let start: RunningCli;
  let api: string;

  const env = (url: string) => ({
    DATABASE_URL: url,
    DATA_DIR: tempDataDir(),
    COINGECKO_API_URL: emulator.url,
    COINGECKO_RATE_PER_MIN: '6000',
    RUN_HEARTBEAT_MS: String(HEARTBEAT_MS),
  });
  const lockWaiters = async () =>
    Number(
      (
        await sql.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
          [database],
        )
      ).rows[0]?.n,
    );
  // The markets stream's runs: the job's next step (the market_latest refresh) records a run of its own, which may
  // finish after a test has moved on.
  const runs = async (where: string, params: unknown[] = []) =>
    (
      await sql.query<RunRecord>(
        `SELECT id, status, error, rows_loaded, rows_extracted FROM etl.runs
         WHERE job = '${JOB}' AND stream = 'coingecko.markets' AND ${where} ORDER BY id`,
        params,
      )
    ).rows;
  const lastRunId = async () => Number((await runs('true')).at(-1)?.id ?? 0);
  const trigger = async () => {
    const answer = await fetch(`${api}/api/jobs/${JOB}/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(answer.status).toBe(202);
  };
  const lock = async (tables: string) => {
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${tables} IN ACCESS EXCLUSIVE MODE`);
  };

  beforeAll(async () => {
    t = await openTestDb('postgres');
    const url = new URL(t.url as string);
    database = url.pathname.slice(1);
    emulator = await startCoinGeckoEmulator({ coinCount: 300 });
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = proxy.address;
    proxiedUrl = url.toString();
    sql = new pg.Client({ connectionString: t.url });
    locker = new pg.Client({ connectionString: t.url });
    await Promise.all([sql.connect(), locker.connect()]);
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    start = startCli(['start', '--no-initial-load'], { ...env(proxiedUrl), PORT: String(port), API_TOKEN });
    await start.waitFor(/waiting on the schedule/);
  });

  afterAll(async () => {
    await start?.stop();
    await Promise.all([sql?.end(), locker?.end()]);
    await proxy?.close();
    await emulator?.close();
    await t?.close();
  });

  it('behavior: pg_terminate_backend on every backend of start (API pool, jobs pool, a run in flight) → it stays up, answers 503 then recovers; the run fails as ETL_DB_UNAVAILABLE and its retry loads', async () => {
    const before = await lastRunId();
    await lock('staging.coingecko_coins, staging.coingecko_markets');
    let answer: Response;
    try {
      await trigger();
      const read = fetch(`${api}/api/coins?limit=1`);
      // The run's first checkpoint and the API's read both wait on the locks, inside the database.
      await eventually('a run and a read waiting on the locks', async () =>
        (await lockWaiters()) >= 2 ? true : undefined,
      );
      const killed = await sql.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid NOT IN ($2, $3)',
        [database, backendOf(sql), backendOf(locker)],
      );
      // The API's pool, the jobs' pool (idle connections among them) and the run's connection.
      expect(killed.rowCount).toBeGreaterThanOrEqual(3);
      answer = await read;
    } finally {
      await locker.query('COMMIT');
    }
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: string }).error).toBe('ETL_DB_UNAVAILABLE');

    const [failed] = await eventually('the run recorded as failed', async () => {
      const found = await runs(`id > $1 AND status = 'failed'`, [before]);
      return found.length > 0 ? found : undefined;
    });
    expect(failed?.error).toMatch(
      /^ETL_DB_UNAVAILABLE: The database is unavailable \((terminating connection due to administrator command|Connection terminated unexpectedly)\)/,
    );
    expect(start.child.exitCode).toBeNull();
    expect((await fetch(`${api}/api/coins?limit=1`)).status).toBe(200);
    // The job's retry (5 s later) is the next run: it loads every page.
    const [next] = await eventually('the retry succeeding', async () => {
      const found = await runs(`id > $1 AND status = 'succeeded'`, [Number(failed?.id)]);
      return found.length > 0 ? found : undefined;
    });
    expect(Number(next?.rows_loaded)).toBe(300);
    expect(start.output()).not.toMatch(/Unhandled 'error' event/);
  });

  it('behavior: with the database away (connections cut), the API answers 503 and `run` fails its run, recorded once the database is back, alerted; both recover', async () => {
    const before = await lastRunId();
    // The stream's watermark row: the run's first checkpoint waits on it, while its start-up (migrations, the
    // warehouse views) passes.
    await locker.query('BEGIN');
    await locker.query(`SELECT 1 FROM etl.watermarks WHERE stream = 'coingecko.markets' FOR UPDATE`);
    const run = startCli(['run', JOB, '--no-retry'], env(proxiedUrl));
    await eventually('the run waiting on the lock', async () =>
      (await runs(`id > $1 AND status = 'running'`, [before])).length > 0 && (await lockWaiters()) >= 1
        ? true
        : undefined,
    );
    await proxy.cut();
    try {
      await run.waitFor(/the run's end is recorded once it is back/, 30_000);
      const away = await fetch(`${api}/api/coins?limit=1`);
      expect(away.status).toBe(503);
      expect(((await away.json()) as { error: string }).error).toBe('ETL_DB_UNAVAILABLE');
      // Not recorded yet: the database is away for the run.
      expect((await runs('id > $1', [before])).map((r) => r.status)).toEqual(['running']);
    } finally {
      await locker.query('COMMIT');
      await proxy.mend();
    }
    expect(await exitOf(run)).toBe(1);
    expect(run.output()).toMatch(/✗ coingecko\.markets: [^\n]*\n\s+ETL_DB_UNAVAILABLE: The database is unavailable/);
    expect(run.output()).toMatch(/ALERT: crypto-etl: job coingecko-markets failed/);
    expect(run.output()).not.toMatch(/Unhandled 'error' event/);
    const recorded = await runs('id > $1', [before]);
    expect(recorded.map((r) => r.status)).toEqual(['failed']);
    expect(recorded[0]?.error).toMatch(/^ETL_DB_UNAVAILABLE: /);
    expect(start.child.exitCode).toBeNull();
    expect((await fetch(`${api}/api/coins?limit=1`)).status).toBe(200);
  });

  it('behavior: a SIGKILLed run is abandoned within two heartbeats, with the rows it committed; status, the API, the next run and retention see it so', async () => {
    // Page 1 (250 coins, new rows) loads; page 2 never answers, so the run stays in flight.
    await sql.query('TRUNCATE staging.coingecko_markets');
    emulator.inject({ pathPrefix: '/coins/markets', query: { page: '2' }, delayMs: 600_000 });
    const before = await lastRunId();
    const run = startCli(['run', JOB, '--no-retry'], env(t.url as string));
    let id: number;
    try {
      id = await eventually('page 1 committed and a heartbeat', async () => {
        const { rows } = await sql.query<{ id: number }>(
          `SELECT id FROM etl.runs WHERE id > $1 AND status = 'running' AND rows_extracted = 250 AND heartbeat_at > started_at`,
          [before],
        );
        return rows[0]?.id;
      });
    } finally {
      run.child.kill('SIGKILL');
    }
    const killedAt = Date.now();
    await exitOf(run);
    const status = async () =>
      (await sql.query<{ status: string }>('SELECT status FROM etl.runs WHERE id = $1', [id])).rows[0]?.status;
    // Whoever looks: here the test itself, as `status`, the next run or a server's timer would.
    const look = () => abandonStaleRuns(t.db, t.db.schemas, 2 * HEARTBEAT_MS);
    await look();
    expect(await status()).toBe('running');
    await eventually('the run abandoned', async () => {
      await look();
      return (await status()) === 'abandoned' ? true : undefined;
    });
    expect(Date.now() - killedAt).toBeLessThan(2 * HEARTBEAT_MS + 500);

    const { rows } = await sql.query(
      'SELECT rows_loaded, rows_extracted, error, finished_at = heartbeat_at AS ended_at_last_beat FROM etl.runs WHERE id = $1',
      [id],
    );
    expect(rows[0]).toMatchObject({ rows_loaded: 250, rows_extracted: 250, ended_at_last_beat: true });
    expect(rows[0]?.error).toMatch(/^ETL_RUN_ABANDONED: no heartbeat for 2 s: the process running it stopped/);

    const listed = (await (await fetch(`${api}/api/runs?job=${JOB}&status=abandoned`)).json()) as {
      items: { id: number; outcome: string }[];
    };
    expect(listed.items).toContainEqual(expect.objectContaining({ id, outcome: 'abandoned' }));
    const report = await runCli(['status'], env(t.url as string));
    expect(report.stdout).toMatch(new RegExp(`#${id} \\S+ ${JOB}/coingecko\\.markets ⊘ abandoned`));

    await trigger();
    await eventually('the next run succeeding', async () => {
      const found = await runs(`id > $1 AND status = 'succeeded'`, [id]);
      return found.length > 0 ? true : undefined;
    });
    // Retention takes it like any finished run (a running one it keeps).
    const runsTarget = RETENTION_TARGETS.filter((target) => target.column === 'started_at');
    await applyRetention(t.db, 1, { now: new Date(Date.now() + 2 * 86_400_000), targets: runsTarget });
    expect(await runs('id = $1', [id])).toEqual([]);
  });
});
