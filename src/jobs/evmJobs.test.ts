import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/helpers/config.ts';
import { silentLogger } from '../internal/logger.ts';
import { buildCatalogue, findJob } from './catalogue.ts';
import type { JobContext } from './defineJob.ts';
import { runEvmBlocks } from './evmJobs.ts';

const context = (settings: Record<string, string>, args: Record<string, unknown> = {}) =>
  ({
    config: testConfig(settings),
    log: silentLogger(),
    signal: new AbortController().signal,
    trigger: 'manual',
    args,
  }) as unknown as JobContext;

describe('evm-blocks job', () => {
  it('behavior: without EVM_RPC_URLS the job exists unscheduled and a run ends at once saying what to set', async () => {
    const job = findJob(buildCatalogue({ config: testConfig(), log: silentLogger() }), 'evm-blocks');
    expect(job.schedule).toBeNull();
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const result = await runEvmBlocks({ ...context({}), log });
    expect(result).toEqual({ job: 'evm-blocks', status: 'succeeded', runs: [] });
    expect(lines.join('')).toMatch(/evm-blocks skipped: not configured: set EVM_RPC_URLS/);
  });

  it('behavior: with EVM_RPC_URLS it follows the head every minute', () => {
    const config = testConfig({ EVM_RPC_URLS: 'http://127.0.0.1:8545' });
    expect(findJob(buildCatalogue({ config, log: silentLogger() }), 'evm-blocks').schedule).toBe('* * * * *');
  });

  it('error: bad arguments or log filters fail before any node is called', async () => {
    const unreachable = { EVM_RPC_URLS: 'http://127.0.0.1:9' };
    const badArgs = await runEvmBlocks(context(unreachable, { from: 'yesterday' }));
    expect(badArgs).toMatchObject({ status: 'failed', retryable: false });
    expect(badArgs.error).toMatch(/^ETL_INPUT_INVALID: .*--from: expected a block number/s);
    const badFilter = await runEvmBlocks(context({ ...unreachable, EVM_LOG_TOPICS: 'Transfer' }));
    expect(badFilter.error).toMatch(/^ETL_CONFIG_INVALID: .*EVM_LOG_TOPICS \(got "Transfer"\)/s);
  });
});
