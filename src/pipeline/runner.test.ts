import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../test/helpers/databases.ts';
import type { Db } from '../db/types.ts';
import { EtlError } from '../internal/errors.ts';
import { silentLogger } from '../internal/logger.ts';
import { createRunner } from './runner.ts';

const log = silentLogger();
const HEARTBEAT_MS = 50;
const target = {
  table: 'etl.meta',
  columns: ['key', 'value'],
  key: ['key'],
  onConflict: 'update',
} as const;

/** Polls `probe` until it is true, for at most 10 s. */
async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('runner: heartbeat, abandoned runs, the end recorded once the database is back (PGlite)', () => {
  let t: TestDb;
  const row = async (id: number) =>
    (
      await t.db.query<{ status: string; rows_loaded: number; error: string | null; beat_ms: number }>(
        `SELECT status, rows_loaded, error, extract(epoch FROM heartbeat_at - started_at) * 1000 AS beat_ms
         FROM etl.runs WHERE id = $1`,
        [id],
      )
    )[0];
  beforeAll(async () => {
    t = await openTestDb('pglite');
  });
  afterAll(() => t.close());

  it('behavior: counts commit with each checkpoint; a running run beats; a stale run of another process is abandoned when a run starts, never its own', async () => {
    const runner = createRunner({ db: t.db, log, heartbeatMs: HEARTBEAT_MS });
    const [zombie] = await t.db.query<{ id: number }>(
      `INSERT INTO etl.runs (job, stream, status, heartbeat_at) VALUES ('dead', 'dead.s', 'running', now() - interval '1 hour')
       RETURNING id`,
    );
    const result = await runner.run({ stream: 'beating' }, { job: 'live' }, async (session) => {
      expect((await row(Number(zombie?.id)))?.status).toBe('abandoned');
      await session.commit({
        writes: [
          {
            target,
            rows: [
              ['a', '1'],
              ['b', '2'],
            ],
          },
        ],
        extracted: 2,
      });
      await session.commit({ writes: [{ target, rows: [['c', '3']] }], extracted: 1 });
      // The second commit falls within the throttle of progress writes: the counts are in each transaction.
      expect((await row(session.runId))?.rows_loaded).toBe(3);
      await until('a heartbeat', async () => Number((await row(session.runId))?.beat_ms) > 0);
      // Its own run is alive whatever its heartbeat says (on PGlite it may wait behind a long transaction).
      await t.db.query(`UPDATE etl.runs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [session.runId]);
      expect(await runner.abandonStale()).toEqual([]);
    });
    expect(result.status).toBe('succeeded');
    const zombieRow = await row(Number(zombie?.id));
    expect(zombieRow?.error).toMatch(/^ETL_RUN_ABANDONED: no heartbeat for 0.1 s: the process running it stopped/);
  });

  it('behavior: a run closed as abandoned while alive is running again at its next heartbeat', async () => {
    const runner = createRunner({ db: t.db, log, heartbeatMs: HEARTBEAT_MS });
    await runner.run({ stream: 'revived' }, { job: 'revived' }, async (session) => {
      await t.db.query(`UPDATE etl.runs SET status = 'abandoned', finished_at = now(), error = 'x' WHERE id = $1`, [
        session.runId,
      ]);
      await until('the heartbeat reviving it', async () => (await row(session.runId))?.status === 'running');
      expect((await row(session.runId))?.error).toBeNull();
    });
  });

  it('behavior: while the database is unavailable, a run’s end is recorded once it is back, failed or succeeded as it ended', async () => {
    let away = false;
    let refused = 0;
    // The database as a run sees it: its end cannot be written while `away`.
    const flaky: Db = {
      ...t.db,
      async query(sql, params) {
        if (away && /SET status = \$2/.test(sql)) {
          refused++;
          throw new EtlError('ETL_DB_UNAVAILABLE', 'The database is unavailable (test)', { retryable: true });
        }
        return t.db.query(sql, params);
      },
    };
    const runner = createRunner({ db: flaky, log, heartbeatMs: HEARTBEAT_MS });
    const back = async () => {
      await until('a refused write of the end', async () => refused >= 2);
      away = false;
    };
    for (const outcome of ['failed', 'succeeded'] as const) {
      away = true;
      refused = 0;
      const [result] = await Promise.all([
        runner.run({ stream: `away.${outcome}` }, { job: 'away' }, async () => {
          if (outcome === 'failed') throw new EtlError('ETL_DB_UNAVAILABLE', 'The database is unavailable (test)');
        }),
        back(),
      ]);
      expect(result.status).toBe(outcome);
      expect((await row(result.runId))?.status).toBe(outcome);
    }
  });
});
