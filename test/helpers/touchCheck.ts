import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { Db } from '../../src/db/types.ts';

/**
 * The `touch` contract of writeRows, the same on every engine: a row an update rewrites gets a fresh
 * `loaded_at`, an unchanged one keeps its own. `table` has columns (id int key, v text, loaded_at).
 */
export async function expectTouchStampsOnlyRewrittenRows(db: Db, table: string): Promise<void> {
  const touched = { table, columns: ['id', 'v'], key: ['id'], onConflict: 'update' as const, touch: 'loaded_at' };
  const stamp = async (id: number) => {
    const [row] = await db.query<{ loaded_at: Date }>(`SELECT loaded_at FROM ${table} WHERE id = $1`, [id]);
    return new Date(row?.loaded_at as Date).getTime();
  };
  await db.writeRows(touched, [
    [1, 'a'],
    [2, 'b'],
  ]);
  const [first1, first2] = [await stamp(1), await stamp(2)];
  await sleep(20);
  expect(
    await db.writeRows(touched, [
      [1, 'a'],
      [2, 'changed'],
    ]),
  ).toBe(1);
  expect(await stamp(1)).toBe(first1);
  expect(await stamp(2)).toBeGreaterThan(first2);
}
