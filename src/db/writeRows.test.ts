import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, openTestDb, POSTGRES_ENGINES, type TestDb } from '../../test/helpers/databases.ts';
import { expectTouchStampsOnlyRewrittenRows } from '../../test/helpers/touchCheck.ts';
import { COPY_THRESHOLD } from './postgresWrite.ts';

describe.each(POSTGRES_ENGINES)('writeRows on %s', (engine) => {
  let t: TestDb;
  const target = (onConflict: 'ignore' | 'update') => ({
    table: 'staging.t_write',
    columns: ['id', 'label', 'amount'],
    key: ['id'],
    onConflict,
  });
  beforeAll(async () => {
    t = await openTestDb(engine);
    await t.db.exec('CREATE TABLE staging.t_write (id int PRIMARY KEY, label text, amount numeric(78,0))');
  });
  afterAll(() => t.close());

  it('behavior: small batch inserts, then a rerun adds and changes nothing', async () => {
    const rows = [
      [1, 'a\tb\nc\\d', '115792089237316195423570985008687907853269984665640564039457584007913129639935'],
      [2, null, 0n],
    ];
    expect(await t.db.writeRows(target('update'), rows)).toBe(2);
    expect(await t.db.writeRows(target('update'), rows)).toBe(0);
    expect(await t.db.writeRows(target('ignore'), rows)).toBe(0);
    const [row] = await t.db.query<{ label: string; amount: string }>(
      'SELECT label, amount::text AS amount FROM staging.t_write WHERE id = 1',
    );
    expect(row).toEqual({ label: 'a\tb\nc\\d', amount: rows[0]?.[2] });
  });

  it('behavior: large batch goes through COPY with escapes intact, duplicates within it merge', async () => {
    const rows = Array.from({ length: COPY_THRESHOLD * 3 }, (_, i) => [
      100 + (i % (COPY_THRESHOLD * 2)),
      `row\t${i}\\`,
      i,
    ]);
    const loaded = await t.db.writeRows(target('update'), rows);
    expect(loaded).toBe(COPY_THRESHOLD * 2);
    expect(await count(t.db, 'staging.t_write', 'WHERE id >= 100')).toBe(COPY_THRESHOLD * 2);
    expect(await t.db.writeRows(target('ignore'), rows)).toBe(0);
    // Ids repeat every 1,000 rows: the last row of id 105 is row 1105 (the last duplicate wins, as in small batches).
    const [row] = await t.db.query<{ label: string }>('SELECT label FROM staging.t_write WHERE id = 105');
    expect(row?.label).toBe(`row\t${COPY_THRESHOLD * 2 + 5}\\`);
  });

  it('behavior: a large batch of new keys is copied straight in, and its rerun merges to nothing', async () => {
    const rows = Array.from({ length: COPY_THRESHOLD * 2 }, (_, i) => [10_000 + i, `fresh ${i}`, i]);
    expect(await t.db.writeRows(target('update'), rows)).toBe(rows.length);
    expect(await t.db.writeRows(target('update'), rows)).toBe(0);
    expect(await count(t.db, 'staging.t_write', 'WHERE id >= 10000')).toBe(rows.length);
  });

  it('behavior: update mode rewrites only rows whose content changed', async () => {
    expect(
      await t.db.writeRows(target('update'), [
        [1, 'changed', 5],
        [2, null, 0],
      ]),
    ).toBe(1);
  });

  it('behavior: touch stamps rows that an update rewrites, and only those', async () => {
    await t.db.exec(
      'CREATE TABLE staging.t_touch (id int PRIMARY KEY, v text, loaded_at timestamptz NOT NULL DEFAULT now())',
    );
    await expectTouchStampsOnlyRewrittenRows(t.db, 'staging.t_touch');
  });

  it('error: a failing write inside a transaction leaves nothing behind', async () => {
    const before = await count(t.db, 'staging.t_write');
    await expect(
      t.db.transaction(async (tx) => {
        await tx.writeRows(target('ignore'), [[9001, 'x', 1]]);
        await tx.query('SELECT 1/0');
      }),
    ).rejects.toThrow();
    expect(await count(t.db, 'staging.t_write')).toBe(before);
  });
});
