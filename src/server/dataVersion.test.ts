import { describe, expect, it } from 'vitest';
import type { Db } from '../db/types.ts';
import { createDataVersion } from './dataVersion.ts';

/** A database whose watermark reads the test answers by hand, one at a time. */
function scriptedWatermarks() {
  const waiting: ((rows: { stream: string; updated_at: Date }[]) => void)[] = [];
  const db = {
    schemas: { etl: 'etl', staging: 'staging', warehouse: 'warehouse' },
    query: () => new Promise((resolve) => waiting.push(resolve)),
  } as unknown as Db;
  return {
    db,
    reads: () => waiting.length,
    answer: (updatedAtMs: number) =>
      waiting.shift()?.([{ stream: 'coingecko.prices', updated_at: new Date(updatedAtMs) }]),
  };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('data version', () => {
  it('behavior: read at most twice per bound; requests wait for a read only past the bound', async () => {
    const watermarks = scriptedWatermarks();
    let ms = 0;
    const version = createDataVersion({ db: watermarks.db, localCommits: () => 0, checkEveryMs: 1000, now: () => ms });

    const first = version.current();
    expect(watermarks.reads()).toBe(1);
    watermarks.answer(1);
    const v1 = await first;

    ms = 499;
    expect(await version.current()).toBe(v1);
    expect(watermarks.reads()).toBe(0);

    // Past half the bound: a read begins, the answer is the version known.
    ms = 500;
    expect(await version.current()).toBe(v1);
    expect(watermarks.reads()).toBe(1);
    // Another commit was made meanwhile; until the read ends, the known version stands (within the bound).
    ms = 999;
    expect(await version.current()).toBe(v1);
    expect(watermarks.reads()).toBe(1);

    // At the bound a request waits for the read, which began after half of it and finds the commit.
    ms = 1000;
    const waited = version.current();
    await settle();
    watermarks.answer(2);
    const v2 = await waited;
    expect(v2).not.toBe(v1);
    // That read began at 500: half the bound old already, so the next one has begun, waited for by nobody yet.
    expect(watermarks.reads()).toBe(1);
    ms = 1499;
    expect(await version.current()).toBe(v2);
  });

  it('behavior: a commit of this process changes the version at once and is read before it is answered', async () => {
    const watermarks = scriptedWatermarks();
    let commits = 0;
    const version = createDataVersion({
      db: watermarks.db,
      localCommits: () => commits,
      checkEveryMs: 1000,
      now: () => 0,
    });
    const first = version.current();
    watermarks.answer(1);
    const v1 = await first;

    commits++;
    const after = version.current();
    await settle();
    expect(watermarks.reads()).toBe(1);
    watermarks.answer(2);
    const v2 = await after;
    expect(v2).not.toBe(v1);
    // Even a commit that moved no watermark (the same digest) gives a new version.
    commits++;
    const same = version.current();
    await settle();
    watermarks.answer(2);
    expect(await same).not.toBe(v2);
  });

  it('error: a failed read fails the callers waiting for it, and the next call reads again', async () => {
    let fail = true;
    const db = {
      schemas: { etl: 'etl', staging: 'staging', warehouse: 'warehouse' },
      query: async () => {
        if (fail) throw new Error('connection refused');
        return [];
      },
    } as unknown as Db;
    const version = createDataVersion({ db, localCommits: () => 0, checkEveryMs: 1000, now: () => 0 });
    await expect(version.current()).rejects.toThrow('connection refused');
    fail = false;
    await expect(version.current()).resolves.toMatch(/^0\.0\./);
  });
});
