import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CoinGeckoEmulator, startCoinGeckoEmulator } from '../src/sandbox/coingecko/server.ts';
import { freePort, runCli, startCli, tempDataDir } from './helpers/cli.ts';

const countIn = async (pg: PGlite, table: string) =>
  Number((await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.n);

describe('crypto-etl CLI', () => {
  let emulator: CoinGeckoEmulator;
  beforeAll(async () => {
    emulator = await startCoinGeckoEmulator({ coinCount: 300 });
  });
  afterAll(() => emulator.close());

  it('error: a bad config value stops start-up, naming the variable and the expected form', async () => {
    const result = await runCli(['status'], { DATA_DIR: tempDataDir(), COINGECKO_PLAN: 'gold', PORT: 'eighty' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ETL_CONFIG_INVALID/);
    expect(result.stderr).toMatch(/COINGECKO_PLAN \(got "gold"\): .*"demo"/);
    expect(result.stderr).toMatch(/PORT \(got "eighty"\): expected an integer/);
  });

  it('error: an API key in a bad setting never reaches the output', async () => {
    const result = await runCli(['status'], {
      DATA_DIR: tempDataDir(),
      COINGECKO_API_KEY: 'CG-secret-key-123',
      COINGECKO_PLAN: 'x',
    });
    expect(result.code).toBe(2);
    expect(result.stderr + result.stdout).not.toContain('CG-secret-key-123');
  });

  it('behavior: run <job> loads, exits 0, and status shows the run and watermark', async () => {
    const env = { DATA_DIR: tempDataDir(), COINGECKO_API_URL: emulator.url, COINGECKO_RATE_PER_MIN: '6000' };
    const run = await runCli(['run', 'coingecko-markets'], env);
    expect(run.stdout).toMatch(/✓ coingecko\.markets: 300 extracted, 300 loaded, 0 rejected/);
    expect(run.code).toBe(0);
    const status = await runCli(['status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      /coingecko-markets\s+0 \* \* \* \*\s+next \d{4}-\d\d-\d\dT\d\d:00:00Z\s+last succeeded/,
    );
    expect(status.stdout).toMatch(/coingecko\.markets .*"page":2/);
  });

  it('error: run <job> exits 1 when the run fails, and an unknown job is named', async () => {
    const closed = await freePort();
    const env = {
      DATA_DIR: tempDataDir(),
      COINGECKO_API_URL: `http://127.0.0.1:${closed}/api/v3`,
      HTTP_MAX_RETRIES: '0',
    };
    const failed = await runCli(['run', 'coingecko-coins', '--no-retry'], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/✗ coingecko\.coins: [^\n]*\n\s+ETL_UPSTREAM_UNREACHABLE: CoinGecko is unreachable/);
    const unknown = await runCli(['run', 'no-such-job'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/ETL_JOB_UNKNOWN: Unknown job "no-such-job": known jobs are coingecko-coins/);
  });

  it('behavior: start with no network says in one line that CoinGecko is unreachable, records the failure, stays up', async () => {
    const port = await freePort();
    const closed = await freePort();
    const cli = startCli(['start'], {
      DATA_DIR: tempDataDir(),
      PORT: String(port),
      COINGECKO_API_URL: `http://127.0.0.1:${closed}/api/v3`,
      HTTP_MAX_RETRIES: '0',
    });
    try {
      await cli.waitFor(/waiting on the schedule/);
      expect(cli.output()).toMatch(
        /coingecko-coins failed: ETL_UPSTREAM_UNREACHABLE: CoinGecko is unreachable at http:\/\/127\.0\.0\.1:\d+\/api\/v3 .*ECONNREFUSED.*check the network/,
      );
      const runs = (await (await fetch(`http://127.0.0.1:${port}/api/runs`)).json()) as {
        items: { status: string; job: string }[];
      };
      expect(runs.items.filter((r) => r.job.startsWith('coingecko-')).map((r) => r.status)).toEqual([
        'failed',
        'failed',
        'failed',
      ]);
      expect(cli.child.exitCode).toBeNull();
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('behavior: start --sandbox fills every staging table and both warehouse views, labelled synthetic', async () => {
    const port = await freePort();
    const dataDir = tempDataDir();
    const cli = startCli(['start', '--sandbox'], { DATA_DIR: dataDir, PORT: String(port) });
    try {
      await cli.waitFor(/waiting on the schedule/, 120_000);
      const page = await (await fetch(`http://127.0.0.1:${port}/status`)).text();
      expect(page).toMatch(/SANDBOX — the data here is SYNTHETIC/);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    const pg = await PGlite.create(join(dataDir, 'pglite'));
    try {
      for (const table of [
        'staging.coingecko_coins',
        'staging.coingecko_markets',
        'staging.coingecko_prices',
        'warehouse.prices_daily',
        'warehouse.prices_hourly',
        'warehouse.market_overview',
        'staging.evm_blocks',
        'staging.evm_transactions',
        'staging.evm_logs',
        'warehouse.chain_daily',
        'warehouse.erc20_transfers',
        'etl.quality_results',
      ]) {
        expect(await countIn(pg, table), table).toBeGreaterThan(0);
      }
    } finally {
      await pg.close();
    }
    const status = await runCli(['status'], { DATA_DIR: dataDir });
    expect(status.stdout).toMatch(/SANDBOX: this database holds SYNTHETIC data/);
  });
});
