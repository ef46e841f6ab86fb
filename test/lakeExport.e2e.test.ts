import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../src/lake/duckdb.ts';
import { runCli, startCli } from './helpers/cli.ts';
import { openTestDb, type TestDb } from './helpers/databases.ts';
import { seedEvm, seedPrices } from './helpers/lakeSeed.ts';

const files = (root: string): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(root, join(d.parentPath, d.name)))
    .sort();

describe('crypto-etl export on PostgreSQL (a child process)', () => {
  let t: TestDb;
  let env: Record<string, string>;
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'crypto-etl-lake-e2e-'));
    dirs.push(d);
    return d;
  };
  beforeAll(async () => {
    t = await openTestDb('postgres');
    await seedEvm(t.db, 0, 39_999);
    await seedPrices(t.db);
    env = { DATABASE_URL: t.url as string, LAKE_BLOCK_RANGE: '1000', LAKE_EXPORT_OVERLAP_SECONDS: '0' };
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('behavior: a SIGKILLed export leaves only whole files, and the rerun writes the manifest a clean export writes', async () => {
    const clean = dir();
    const done = await runCli(['export', 'all', '--to', clean], env);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/evm_transactions: 40 partition\(s\) written, 80000 rows/);

    const killed = dir();
    const cli = startCli(['export', 'all', '--to', killed], env);
    await cli.waitFor(/evm_transactions chain_id=1\/block_range=\d+-\d+ \(5\/40\)/);
    await cli.stop('SIGKILL');
    const left = files(killed);
    // Only whole Parquet files in their folders (and work files under _tmp/, which readers skip).
    expect(left.filter((f) => !f.startsWith('_tmp/') && f !== '_manifest.json' && !/\/data\.parquet$/.test(f))).toEqual(
      [],
    );
    const duck = await openDuckDb();
    for (const f of left.filter((x) => x.endsWith('/data.parquet'))) {
      const [meta] = await duck.rows(`SELECT num_rows FROM parquet_file_metadata('${join(killed, f)}')`);
      expect(Number(meta?.num_rows), f).toBeGreaterThan(0);
    }
    duck.close();

    const rerun = await runCli(['export', 'all', '--to', killed], env);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(readFileSync(join(killed, '_manifest.json'), 'utf8')).toBe(
      readFileSync(join(clean, '_manifest.json'), 'utf8'),
    );
    expect(files(killed)).toEqual(files(clean));

    const query = await runCli(
      ['lake', 'query', 'SELECT count(*) AS n, count(DISTINCT block_range) AS ranges FROM evm_logs', '--lake', killed],
      env,
    );
    expect(query.code, query.stderr).toBe(0);
    expect(query.stdout).toMatch(/40000\s+40/);
  }, 300_000);
});
