import { afterEach, describe, expect, it } from 'vitest';
import { testConfig } from '../../../test/helpers/config.ts';
import { silentLogger } from '../../internal/logger.ts';
import { type DuneEmulator, type DuneEmulatorOptions, startDuneEmulator } from '../../sandbox/dune/server.ts';
import { createDuneClient, type DuneClient } from './client.ts';
import { type ReadResultOptions, type ResultPage, readQueryResult } from './resultPages.ts';

const log = silentLogger();
const running: DuneEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

async function setup(opts: DuneEmulatorOptions = {}, settings: Record<string, string> = {}) {
  const dune = await startDuneEmulator({ pendingMs: 0, executingMs: 60, ...opts });
  running.push(dune);
  const config = testConfig({ DUNE_API_URL: dune.url, DUNE_API_KEY: dune.apiKey, HTTP_MAX_RETRIES: '2', ...settings });
  return { dune, client: createDuneClient({ config, log, backoffBaseMs: 5 }) };
}

async function readAll(client: DuneClient, options: Partial<ReadResultOptions> & { queryId: number }) {
  const pages: ResultPage[] = [];
  for await (const page of readQueryResult(client, {
    params: {},
    mode: 'execute',
    pageSize: 20,
    pollIntervalMs: 50,
    signal: new AbortController().signal,
    log,
    ...options,
  })) {
    pages.push(page);
  }
  return pages;
}

describe('Dune client', () => {
  it('behavior: a 429 waits its Retry-After, then the call succeeds', async () => {
    const { dune, client } = await setup();
    dune.inject({ pathPrefix: '/query/', status: 429, headers: { 'retry-after': '0.3' } });
    const page = await client.latestResults(dune.queries.cowUpdate, {}, { offset: 0, limit: 5 });
    expect(page.result?.rows).toHaveLength(5);
    const [limited, served] = dune.requests;
    expect([limited?.status, served?.status]).toEqual([429, 200]);
    expect((served?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(290);
  });

  it('error: 429s beyond the retries end as ETL_UPSTREAM_RATE_LIMITED', async () => {
    const { dune, client } = await setup({}, { HTTP_MAX_RETRIES: '1' });
    dune.inject({ pathPrefix: '/query/', status: 429, times: 5, headers: { 'retry-after': '0.01' } });
    await expect(client.execute(dune.queries.cowUpdate, {})).rejects.toMatchObject({
      code: 'ETL_UPSTREAM_RATE_LIMITED',
      message: expect.stringContaining('HTTP 429'),
    });
    expect(dune.requests).toHaveLength(2);
  });

  it('error: a refused key is ETL_UPSTREAM_AUTH naming DUNE_API_KEY, never the key', async () => {
    const { dune } = await setup();
    const config = testConfig({ DUNE_API_URL: dune.url, DUNE_API_KEY: 'a-wrong-secret-key' });
    const error = await createDuneClient({ config, log })
      .execute(dune.queries.cowUpdate, {})
      .catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'ETL_UPSTREAM_AUTH', message: expect.stringContaining('DUNE_API_KEY') });
    expect((error as Error).message).toContain('invalid API Key');
    expect((error as Error).message).not.toContain('a-wrong-secret-key');
  });

  it('error: no key at all fails before any call', () => {
    expect(() => createDuneClient({ config: testConfig({}), log })).toThrow(/DUNE_API_KEY: required/);
  });

  it('error: 402 says the credits ran out and how to carry on', async () => {
    const { dune, client } = await setup({ credits: 0 });
    await expect(client.execute(dune.queries.cowUpdate, {})).rejects.toMatchObject({
      code: 'ETL_UPSTREAM_CREDITS',
      message: expect.stringMatching(/HTTP 402: This api request would exceed.*DUNE_RESULTS_MODE=latest/),
    });
  });

  it.each([
    ['QUERY_STATE_CANCELLED', 'ETL_UPSTREAM_QUERY_CANCELLED', /was cancelled/],
    ['QUERY_STATE_EXPIRED', 'ETL_UPSTREAM_QUERY_EXPIRED', /has expired/],
    [
      'QUERY_STATE_FAILED',
      'ETL_UPSTREAM_QUERY_FAILED',
      /failed: line 3:7: Column 'x' cannot be resolved \(line 3, column 7\)/,
    ],
    ['QUERY_STATE_COMPLETED_PARTIAL', 'ETL_UPSTREAM_QUERY_FAILED', /truncated result/],
  ] as const)('error: an execution ending %s throws %s', async (state, code, message) => {
    const { dune, client } = await setup();
    dune.script({
      state,
      error: {
        type: 'FAILED_TYPE_EXECUTION_FAILED',
        message: "line 3:7: Column 'x' cannot be resolved",
        metadata: { line: 3, column: 7 },
      },
    });
    await expect(readAll(client, { queryId: dune.queries.cowUpdate })).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message),
    });
  });

  it('behavior: polls back off, and pages follow next_uri to the end', async () => {
    const { dune, client } = await setup({ executingMs: 400 });
    const pages = await readAll(client, { queryId: dune.queries.cowUpdate });
    expect(pages.map((p) => [p.offset, p.rows.length, p.nextOffset])).toEqual([
      [0, 20, 20],
      [20, 20, 40],
      [40, 8, undefined],
    ]);
    const polls = dune.requests.filter((r) => r.path.endsWith('/status')).map((r) => r.at);
    const gaps = polls.slice(1).map((at, i) => at - (polls[i] ?? 0));
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    expect(gaps.at(-1)).toBeGreaterThan(gaps[0] ?? 0);
  });

  it('behavior: a resumed execution reads on from its offset without a new run; an unreadable one runs again', async () => {
    const { dune, client } = await setup({ executingMs: 0 });
    const { executionId } = await client.execute(dune.queries.cowUpdate, {});
    const before = dune.requests.length;
    const pages = await readAll(client, { queryId: dune.queries.cowUpdate, resume: { executionId, offset: 40 } });
    expect(pages.map((p) => [p.executionId, p.offset, p.rows.length])).toEqual([[executionId, 40, 8]]);
    expect(dune.requests.slice(before).some((r) => r.path.endsWith('/execute'))).toBe(false);

    dune.script({ state: 'QUERY_STATE_EXPIRED' });
    const { executionId: expired } = await client.execute(dune.queries.cowUpdate, {});
    const again = await readAll(client, {
      queryId: dune.queries.cowUpdate,
      resume: { executionId: expired, offset: 40 },
    });
    expect(again[0]?.executionId).not.toBe(expired);
    expect(again.reduce((n, p) => n + p.rows.length, 0)).toBe(48);
  });

  it('behavior: a shutdown while the query runs cancels the execution on Dune', async () => {
    const { dune, client } = await setup({ executingMs: 60_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    await expect(readAll(client, { queryId: dune.queries.cowUpdate, signal: controller.signal })).rejects.toMatchObject(
      {
        code: 'ETL_ABORTED',
      },
    );
    // A status poll in flight at the abort may reach the emulator after the cancel: look for it, not at the end.
    expect(dune.requests).toContainEqual(
      expect.objectContaining({ method: 'POST', path: expect.stringMatching(/\/cancel$/), status: 200 }),
    );
  });

  it('args: a next_uri off the configured host is not followed (the key would go with it)', async () => {
    const { client } = await setup();
    expect(client.follow('https://elsewhere.example/api/v1/execution/X/results?offset=5')).toBeUndefined();
  });
});
