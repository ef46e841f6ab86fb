import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/internal/logger.ts';
import { backfill } from '../src/pipeline/files/backfill.ts';
import { runCli } from './helpers/cli.ts';
import { testConfig } from './helpers/config.ts';
import { count, openTestDb, POSTGRES_ENGINES, type TestDb } from './helpers/databases.ts';
import { type LocalS3, startLocalS3 } from './helpers/s3rver.ts';

const log = silentLogger();
const BIN = join(import.meta.dirname, '..', 'bin', 'crypto-etl.mjs');
const FIXTURES = join(import.meta.dirname, 'fixtures', 'files');

/**
 * Good rows, bad rows and duplicates, columns in another order than the table's. Line by line:
 * 2 A, 3 B (nulls), 4 bad price, 5 duplicate of A, 6 bad date, 7–8 C (a quoted newline), 9 too few fields,
 * 10 blank, 11 no coin_id, 12 D (UNIX ms), 13 E (offset +01), 14 duplicate of E in UTC, 15 a row already in.
 */
const MIXED = [
  'ts,coin_id,price,vs_currency,market_cap,total_volume',
  '2026-01-01T00:00:00Z,bitcoin,90000.5,usd,1.8e12,3e10',
  '2026-01-01T01:00:00Z,bitcoin,90100,usd,,',
  '2026-01-01T02:00:00Z,bitcoin,abc,usd,1,1',
  '2026-01-01T00:00:00Z,bitcoin,90000.5,usd,1.8e12,3e10',
  '2026-02-30T00:00:00Z,ethereum,3000,usd,1,1',
  '2026-01-01T00:00:00Z,"multi',
  'line",1,usd,,',
  '2026-01-01T03:00:00Z,bitcoin,90200,usd',
  '',
  '2026-01-01T04:00:00Z,,1,usd,,',
  '1767236400000,ethereum,3001.25,usd,,',
  '2025-12-31 23:00:00+01,ethereum,2999,usd,,',
  '2025-12-31T22:00:00Z,ethereum,2999,usd,,',
  '2026-01-01T05:00:00Z,solana,150,usd,,',
].join('\n');

const priceRows = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `coin-${from + i},usd,2026-01-02T00:00:00Z,${from + i}.5,,`);
const csv = (rows: string[]) => `coin_id,vs_currency,ts,price,market_cap,total_volume\n${rows.join('\n')}\n`;

describe.each(POSTGRES_ENGINES)('backfill on %s', (engine) => {
  let t: TestDb;
  let s3: LocalS3;
  let dir: string;
  const run = (location: string, extra: Partial<Parameters<typeof backfill>[0]> = {}) =>
    backfill({
      db: t.db,
      config: testConfig(s3.settings),
      log,
      table: 'coingecko_prices',
      location,
      chunkRows: 2,
      ...extra,
    });

  beforeAll(async () => {
    t = await openTestDb(engine);
    s3 = await startLocalS3(['prices']);
    dir = mkdtempSync(join(tmpdir(), 'crypto-etl-backfill-'));
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await t.db.exec('TRUNCATE staging.coingecko_prices, etl.rejects, etl.loaded_files, etl.runs');
  });

  it('behavior: a local file loads its good rows, rejects bad ones with their line, skips duplicates; a rerun adds 0', async () => {
    await t.db.query(
      `INSERT INTO staging.coingecko_prices (coin_id, vs_currency, ts, price) VALUES ('solana', 'usd', $1, 140)`,
      [new Date('2026-01-01T05:00:00Z')],
    );
    const path = join(dir, 'mixed.csv');
    writeFileSync(path, MIXED);
    const [file] = (await run(path)).files;
    expect(file).toMatchObject({ status: 'loaded', rowsRead: 12, rowsLoaded: 5, duplicates: 3, rowsRejected: 4 });
    expect(await count(t.db, 'staging.coingecko_prices')).toBe(6);
    const rejects = await t.db.query<{ reason: string; payload: { line: number; file: string } }>(
      'SELECT reason, payload FROM etl.rejects ORDER BY id',
    );
    expect(rejects.map((r) => r.reason)).toEqual([
      'line 4: price: expected a number, got "abc"',
      'line 6: ts: expected a timestamp: a field is out of range, got "2026-02-30T00:00:00Z"',
      'line 9: expected 6 fields as in the header, got 4',
      'line 11: coin_id: missing (the column is required)',
    ]);
    expect(rejects[0]?.payload).toMatchObject({ file: path, line: 4, record: { price: 'abc', coin_id: 'bitcoin' } });

    const rows = await t.db.query<{ coin_id: string; ts: Date; price: string; market_cap: string | null }>(
      'SELECT coin_id, ts, price::text AS price, market_cap::text AS market_cap FROM staging.coingecko_prices ORDER BY coin_id, ts',
    );
    expect(rows.map((r) => [r.coin_id, r.ts.toISOString(), r.price, r.market_cap])).toEqual([
      ['bitcoin', '2026-01-01T00:00:00.000Z', '90000.5', '1800000000000'],
      ['bitcoin', '2026-01-01T01:00:00.000Z', '90100', null],
      ['ethereum', '2025-12-31T22:00:00.000Z', '2999', null],
      ['ethereum', '2026-01-01T03:00:00.000Z', '3001.25', null],
      ['multi\nline', '2026-01-01T00:00:00.000Z', '1', null],
      ['solana', '2026-01-01T05:00:00.000Z', '140', null],
    ]);
    const [runRow] = await t.db.query<{ status: string; stream: string; rows_loaded: number | string }>(
      `SELECT status, stream, rows_loaded FROM etl.runs WHERE job = 'backfill'`,
    );
    expect(runRow).toMatchObject({ status: 'succeeded', stream: 'backfill.coingecko_prices' });
    expect(Number(runRow?.rows_loaded)).toBe(5);

    const again = (await run(path)).files[0];
    expect(again).toMatchObject({ status: 'skipped', rowsLoaded: 0 });
    expect(await count(t.db, 'staging.coingecko_prices')).toBe(6);
    expect(await count(t.db, 'etl.rejects')).toBe(4);
    const forced = (await run(path, { force: true })).files[0];
    expect(forced).toMatchObject({ status: 'loaded', rowsLoaded: 0, duplicates: 8, rowsRejected: 4 });
    expect(await count(t.db, 'staging.coingecko_prices')).toBe(6);
  });

  it('behavior: gzip is recognised by its bytes, whatever the name', async () => {
    const path = join(dir, 'zipped-without-extension.csv');
    writeFileSync(path, gzipSync(csv(priceRows(0, 5_000))));
    const [file] = (await run(path, { chunkRows: 1_000 })).files;
    expect(file).toMatchObject({ status: 'loaded', rowsRead: 5_000, rowsLoaded: 5_000, rowsRejected: 0 });
    expect(await count(t.db, 'staging.coingecko_prices')).toBe(5_000);
  });

  it('behavior: s3://bucket/key loads an object; a prefix loads each file once and a rerun only new ones', async () => {
    await s3.put('prices', 'single.csv', csv([...priceRows(0, 3), 'coin-x,usd,yesterday,1,,']));
    const single = (await run('s3://prices/single.csv')).files;
    expect(single).toMatchObject([{ uri: 's3://prices/single.csv', rowsLoaded: 3, rowsRejected: 1 }]);
    expect(single[0]?.checksum).toMatch(/^etag:[0-9a-f]{32}$/);

    await s3.put('prices', 'dir/a.csv', csv(priceRows(100, 10)));
    await s3.put('prices', 'dir/b.csv.gz', gzipSync(csv(priceRows(105, 10))));
    await s3.put('prices', 'dir/sub/c.csv', csv(priceRows(200, 4)));
    await s3.put('prices', 'dir/notes.txt', 'not a csv');
    const first = (await run('s3://prices/dir/')).files;
    expect(first.map((f) => [f.uri, f.status, f.rowsLoaded, f.duplicates])).toEqual([
      ['s3://prices/dir/a.csv', 'loaded', 10, 0],
      ['s3://prices/dir/b.csv.gz', 'loaded', 5, 5],
      ['s3://prices/dir/sub/c.csv', 'loaded', 4, 0],
    ]);
    expect(await count(t.db, 'staging.coingecko_prices')).toBe(3 + 19);

    await s3.put('prices', 'dir/d.csv', csv(priceRows(300, 7)));
    const second = (await run('s3://prices/dir/')).files;
    expect(second.map((f) => [f.uri.split('/').pop(), f.status, f.rowsLoaded])).toEqual([
      ['a.csv', 'skipped', 0],
      ['b.csv.gz', 'skipped', 0],
      ['d.csv', 'loaded', 7],
      ['c.csv', 'skipped', 0],
    ]);
    expect(await count(t.db, 'etl.loaded_files')).toBe(5);
  });

  it('error: a header that does not fit the table fails before any row, naming the columns', async () => {
    const path = join(dir, 'bad-header.csv');
    writeFileSync(path, 'coin_id,vs_currency,ts,prize\nbitcoin,usd,2026-01-01,1\n');
    await expect(run(path)).rejects.toThrow(
      /header row does not fit staging\.coingecko_prices: unknown column\(s\) prize .*missing required column\(s\) price/,
    );
    await expect(run(path)).rejects.toMatchObject({ code: 'ETL_INPUT_INVALID' });
    expect(await count(t.db, 'staging.coingecko_prices')).toBe(0);
    expect(await count(t.db, 'etl.runs', `WHERE status = 'failed'`)).toBe(2);
  });

  it('error: an unclosed quote fails the file at the line its record starts, and none of its rows stay, even chunks already sent', async () => {
    const path = join(dir, 'broken.csv');
    const tail = 'coin-10,usd,2026-01-02,1,,\n'.repeat(50);
    writeFileSync(path, `${csv(priceRows(0, 9))}coin-9,usd,2026-01-02T00:00:00Z,"1,,\n${tail}`);
    await expect(run(path)).rejects.toThrow(/broken\.csv line 11: Quote Not Closed.*nothing of it was loaded/);
    expect(await count(t.db, 'staging.coingecko_prices')).toBe(0);
    expect(await count(t.db, 'etl.loaded_files')).toBe(0);
  });

  it('error: a quote that swallows over 1 MB fails at the line its record starts, not where the parser gave up', async () => {
    const path = join(dir, 'swallowed.csv');
    writeFileSync(path, csv(['coin-0,usd,2026-01-02T00:00:00Z,"1,,', ...priceRows(1, 30_000)]));
    await expect(run(path)).rejects.toMatchObject({
      code: 'ETL_INPUT_INVALID',
      message: expect.stringMatching(/swallowed\.csv line 2: Max Record Size: the record starting on this line/),
    });
  });

  it('error: bytes that are not UTF-8 reject their row with its line, never load as U+FFFD; --encoding latin1 decodes them', async () => {
    const path = join(FIXTURES, 'latin1.csv');
    const [file] = (await run(path)).files;
    expect(file).toMatchObject({ status: 'loaded', rowsRead: 4, rowsLoaded: 2, rowsRejected: 2 });
    const rejects = await t.db.query<{ reason: string; payload: { line: number; record: { coin_id: string } } }>(
      'SELECT reason, payload FROM etl.rejects ORDER BY id',
    );
    expect(rejects.map((r) => r.reason)).toEqual([
      'line 3: coin_id: not UTF-8 (byte 0xE9): if the file is Latin-1, load it again with --encoding latin1 --force',
      'line 6: coin_id: not UTF-8 (byte 0xF1): if the file is Latin-1, load it again with --encoding latin1 --force',
    ]);
    expect(rejects[0]?.payload).toMatchObject({ line: 3, record: { coin_id: 'caf\uFFFD-token' } });
    expect(await count(t.db, 'staging.coingecko_prices', `WHERE coin_id LIKE '%\uFFFD%'`)).toBe(0);

    const [latin1] = (await run(path, { encoding: 'latin1', force: true })).files;
    expect(latin1).toMatchObject({ status: 'loaded', rowsLoaded: 2, duplicates: 2, rowsRejected: 0 });
    const ids = await t.db.query<{ coin_id: string }>('SELECT coin_id FROM staging.coingecko_prices ORDER BY coin_id');
    expect(ids.map((r) => r.coin_id)).toEqual(['bitcoin', 'café-token', 'multi\nline', 'señor-coin']);
  });

  it('error: a NUL byte rejects its row, as the docs say, and the rest of the file loads', async () => {
    const [file] = (await run(join(FIXTURES, 'nul-byte.csv'))).files;
    expect(file).toMatchObject({ status: 'loaded', rowsRead: 4, rowsLoaded: 2, rowsRejected: 2 });
    const rejects = await t.db.query<{ reason: string; payload: { record: Record<string, string> } }>(
      'SELECT reason, payload FROM etl.rejects ORDER BY id',
    );
    expect(rejects.map((r) => r.reason)).toEqual([
      'line 3: coin_id: contains a NUL character, got "eth\\u0000ereum"',
      'line 4: price: expected a number, got "15\\u00000"',
    ]);
    expect(rejects[0]?.payload.record.coin_id).toBe('eth\\u0000ereum');
  });

  it.each(['corrupt.csv.gz', 'truncated.csv.gz'])(
    'error: %s fails with ETL_INPUT_INVALID naming the file',
    async (name) => {
      const path = join(FIXTURES, name);
      await expect(run(path, { chunkRows: 50 })).rejects.toMatchObject({
        code: 'ETL_INPUT_INVALID',
        message: expect.stringContaining(`${path} is not valid gzip (`),
      });
      expect(await count(t.db, 'staging.coingecko_prices')).toBe(0);
      expect(await count(t.db, 'etl.runs', `WHERE status = 'failed' AND error LIKE 'ETL_INPUT_INVALID: %gzip%'`)).toBe(
        1,
      );
    },
  );

  it('error: an abort mid-file (Ctrl-C) stops with ETL_ABORTED and rolls the file back', async () => {
    const path = join(dir, 'aborted.csv');
    writeFileSync(path, csv(priceRows(0, 5_000)));
    const controller = new AbortController();
    const loading = run(path, { chunkRows: 1_000, signal: controller.signal, onProgress: () => controller.abort() });
    await expect(loading).rejects.toMatchObject({
      code: 'ETL_ABORTED',
      message: expect.stringMatching(/nothing of it was written/),
    });
    expect(await count(t.db, 'staging.coingecko_prices')).toBe(0);
    expect(await count(t.db, 'etl.runs', `WHERE status = 'failed'`)).toBe(1);
  });

  it('error: an unknown table, a missing file or object say what exists and what to check', async () => {
    await expect(
      backfill({ db: t.db, config: testConfig(), log, table: 'nope', location: join(dir, 'mixed.csv') }),
    ).rejects.toThrow(/No table staging\.nope: backfill loads a staging table, one of .*coingecko_prices/);
    await expect(run(join(dir, 'missing.csv'))).rejects.toThrow(/No file at .*missing\.csv/);
    await expect(run('s3://prices/missing.csv')).rejects.toMatchObject({
      code: 'ETL_INPUT_INVALID',
      message: expect.stringMatching(/Nothing at s3:\/\/prices\/missing\.csv/),
    });
    await expect(run('s3://no-such-bucket/dir/')).rejects.toThrow(/Nothing at s3:\/\/no-such-bucket\/dir\//);
  });
});

describe('backfill killed mid-load (PostgreSQL)', () => {
  let t: TestDb;
  let dir: string;
  beforeAll(async () => {
    t = await openTestDb('postgres');
    dir = mkdtempSync(join(tmpdir(), 'crypto-etl-kill-'));
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('behavior: SIGKILL during the COPY leaves no partial rows, no rejects and no loaded-file record', async () => {
    const path = join(dir, 'big.csv');
    const out = createWriteStream(path);
    out.write('coin_id,vs_currency,ts,price,market_cap,total_volume\n');
    for (let block = 0; block < 80; block++) out.write(`${priceRows(block * 10_000, 10_000).join('\n')}\n`);
    await new Promise<void>((resolve) => out.end(() => resolve()));

    const database = new URL(t.url as string).pathname.slice(1);
    const child = spawn(process.execPath, [BIN, 'backfill', 'coingecko_prices', path, '--chunk-rows', '5000'], {
      env: { PATH: process.env.PATH, DATABASE_URL: t.url, LOG_DIR: '', LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Mid-load: the load's transaction has written rows (it holds a transaction id) and is copying more.
    const busy = `SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = $1 AND backend_xid IS NOT NULL AND query ILIKE '%COPY%' AND pid <> pg_backend_pid()`;
    const deadline = Date.now() + 45_000;
    while (Number((await t.db.query<{ n: string }>(busy, [database]))[0]?.n) === 0) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('the backfill never reached its COPY');
      await sleep(25);
    }
    child.kill('SIGKILL');
    await exited;
    const others = 'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()';
    while (Number((await t.db.query<{ n: string }>(others, [database]))[0]?.n) > 0 && Date.now() < deadline + 15_000) {
      await sleep(50);
    }
    expect(await count(t.db, 'staging.coingecko_prices')).toBe(0);
    expect(await count(t.db, 'etl.rejects')).toBe(0);
    expect(await count(t.db, 'etl.loaded_files')).toBe(0);
    expect(await count(t.db, 'etl.runs', `WHERE job = 'backfill' AND status = 'running'`)).toBe(1);
  });
});

describe('backfill --encoding (CLI, PostgreSQL)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('postgres');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('args: --encoding latin1 loads a Latin-1 file as meant; an unknown encoding is refused with the choices', async () => {
    const path = join(FIXTURES, 'latin1.csv');
    const env = { DATABASE_URL: t.url as string, LOG_LEVEL: 'warn' };
    const loaded = await runCli(['backfill', 'coingecko_prices', path, '--encoding', 'latin1'], env);
    expect(loaded.stdout).toMatch(/latin1\.csv: 4 rows read, 4 loaded, 0 duplicates, 0 rejected/);
    expect(loaded.code).toBe(0);
    const ids = await t.db.query<{ coin_id: string }>(
      `SELECT coin_id FROM staging.coingecko_prices WHERE coin_id LIKE 's%'`,
    );
    expect(ids).toEqual([{ coin_id: 'señor-coin' }]);

    const refused = await runCli(['backfill', 'coingecko_prices', path, '--encoding', 'cp1252'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/cp1252.*Allowed choices are utf8, latin1/);
  });
});

describe('backfill on MariaDB', () => {
  let t: TestDb;
  let dir: string;
  beforeAll(async () => {
    t = await openTestDb('mysql');
    dir = mkdtempSync(join(tmpdir(), 'crypto-etl-mysql-'));
    mkdirSync(join(dir, 'in'));
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('behavior: the same file loads through multi-row INSERTs, with the same counts and rejects', async () => {
    const { staging, etl } = t.db.schemas;
    await t.db.query(
      `INSERT INTO ${staging}.coingecko_prices (coin_id, vs_currency, ts, price) VALUES ('solana', 'usd', $1, 140)`,
      [new Date('2026-01-01T05:00:00Z')],
    );
    writeFileSync(join(dir, 'in', 'mixed.csv'), MIXED);
    const result = await backfill({
      db: t.db,
      config: testConfig(),
      log,
      table: 'coingecko_prices',
      location: join(dir, 'in'),
      chunkRows: 2,
    });
    expect(result.files[0]).toMatchObject({ rowsRead: 12, rowsLoaded: 5, duplicates: 3, rowsRejected: 4 });
    expect(await count(t.db, `${staging}.coingecko_prices`)).toBe(6);
    expect(await count(t.db, `${etl}.rejects`)).toBe(4);
    const [e] = await t.db.query<{ ts: Date }>(
      `SELECT ts FROM ${staging}.coingecko_prices WHERE coin_id = 'ethereum' AND price = 2999`,
    );
    expect(e?.ts.toISOString()).toBe('2025-12-31T22:00:00.000Z');
    const again = await backfill({
      db: t.db,
      config: testConfig(),
      log,
      table: 'coingecko_prices',
      location: join(dir, 'in'),
    });
    expect(again.files[0]?.status).toBe('skipped');
  });
});
