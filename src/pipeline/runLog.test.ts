import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineName, openTestDb, type TestDb } from '../../test/helpers/databases.ts';
import { closeRunsOfLostWorker, createRunLog, lastRunsPerJob, recentRuns, succeededRunsOf } from './runLog.ts';

const counts = { rowsExtracted: 3, rowsLoaded: 2, rowsRejected: 1 };

describe.each<EngineName>(['pglite', 'postgres', 'mysql'])('run log on %s', (engine) => {
  let testDb: TestDb;

  beforeAll(async () => {
    testDb = await openTestDb(engine);
  });

  afterAll(async () => {
    await testDb?.close();
  });

  it('behavior: the succeeded runs of a queue attempt are found by job id and attempt, and no others', async () => {
    const { db } = testDb;
    const log = createRunLog(db, db.schemas);
    const attempt = { queueJob: 'bull-1', attempt: 0 };
    const markets = await log.start('markets', 'coingecko.markets', 'manual', attempt);
    await log.finish(markets, 'succeeded', counts);
    const refresh = await log.start('markets', 'warehouse.refresh', 'manual', attempt);
    await log.finish(refresh, 'failed', counts, 'ETL_DB_UNAVAILABLE: gone');
    const retry = await log.start('markets', 'coingecko.markets', 'manual', { ...attempt, attempt: 1 });
    await log.finish(retry, 'succeeded', counts);
    const inline = await log.start('markets', 'coingecko.markets', 'manual');
    await log.finish(inline, 'succeeded', counts);

    const found = await succeededRunsOf(db, db.schemas, attempt);
    expect(found.map((run) => [run.id, run.stream, run.status])).toEqual([[markets, 'coingecko.markets', 'succeeded']]);
    expect(found[0]).toMatchObject({ rows_extracted: 3, rows_loaded: 2, rows_rejected: 1 });
    expect(await succeededRunsOf(db, db.schemas, { queueJob: 'bull-2', attempt: 0 })).toEqual([]);
  });

  it('behavior: the runs of a lost worker are closed as ETL_WORKER_LOST; the history reads back as numbers', async () => {
    const { db } = testDb;
    const log = createRunLog(db, db.schemas);
    const orphan = await log.start('prices', 'coingecko.prices', 'schedule', { queueJob: 'bull-3', attempt: 0 });
    await closeRunsOfLostWorker(db, db.schemas, 'prices');

    const [run] = await recentRuns(db, { job: 'prices' });
    expect(run).toMatchObject({ id: orphan, status: 'failed', rows_loaded: 0 });
    expect(run?.error).toMatch(/^ETL_WORKER_LOST/);
    const history = await lastRunsPerJob(db, 1);
    expect(history.get('markets')?.map((r) => typeof r.id)).toEqual(['number']);
    expect(history.get('prices')?.[0]?.id).toBe(orphan);
  });
});
