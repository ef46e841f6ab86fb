import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSql } from '../src/db/sqlTemplate.ts';
import { silentLogger } from '../src/internal/logger.ts';
import { createRunner } from '../src/pipeline/runner.ts';
import { type CoinGeckoEmulator, startCoinGeckoEmulator } from '../src/sandbox/coingecko/server.ts';
import { createCoinGeckoClient } from '../src/sources/coingecko/client.ts';
import { marketsStream } from '../src/sources/coingecko/marketsStream.ts';
import { coingeckoMarkets } from '../src/tables/coingecko.ts';
import type { TableSpec } from '../src/tables/defineTable.ts';
import { FIXED_NOW_MS } from './helpers/clock.ts';
import { testConfig } from './helpers/config.ts';
import { type EngineName, openTestDb, type TestDb } from './helpers/databases.ts';
import { differences } from './helpers/tableDeclarations.ts';

/**
 * docs/architecture.md's walkthrough, done: a column added to coingecko_markets by one declaration and one migration
 * (read from the document's `sql migration-<engine>` blocks, so the page and this test cannot drift apart).
 */
const doc = readFileSync(new URL('../docs/architecture.md', import.meta.url), 'utf8');
const migrationOf = (flavour: 'postgres' | 'mysql') => {
  const block = new RegExp(`\`\`\`sql migration-${flavour}\\n([\\s\\S]*?)\`\`\``).exec(doc)?.[1];
  if (!block) throw new Error(`docs/architecture.md has no \`sql migration-${flavour}\` block: the walkthrough moved`);
  return block;
};

// Step 1 of the walkthrough: the declaration, one column more.
const withColumn = {
  ...coingeckoMarkets,
  columns: { ...coingeckoMarkets.columns, ath_change_percentage: { type: 'numeric', nullable: true } },
} as TableSpec;

describe.each<EngineName>(['pglite', 'postgres', 'mysql'])('walkthrough: a column added on %s', (engine) => {
  let emulator: CoinGeckoEmulator;
  let t: TestDb;

  beforeAll(async () => {
    emulator = await startCoinGeckoEmulator({ coinCount: 300, now: () => FIXED_NOW_MS });
    t = await openTestDb(engine);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  it('behavior: the declared column is migrated, loaded from the field of its name, and no drift is recorded', async () => {
    expect(await differences(t.db, withColumn)).toEqual([
      'coingecko_markets.ath_change_percentage: declared, not in the table (a migration is missing)',
    ]);
    // Step 2: the migration.
    await t.db.exec(renderSql(migrationOf(engine === 'mysql' ? 'mysql' : 'postgres'), t.db.schemas));
    expect(await differences(t.db, withColumn)).toEqual([]);

    const client = createCoinGeckoClient({
      config: testConfig({ COINGECKO_API_URL: emulator.url, COINGECKO_RATE_PER_MIN: '6000' }),
      log: silentLogger(),
    });
    const runner = createRunner({ db: t.db, log: silentLogger() });
    const stream = marketsStream(client, { vsCurrency: 'usd', table: withColumn, now: () => new Date(FIXED_NOW_MS) });
    expect(await runner.runStream(stream, { job: 'coingecko-markets' })).toMatchObject({
      status: 'succeeded',
      rowsLoaded: 300,
      rowsRejected: 0,
    });

    // Every row holds what CoinGecko sent for it.
    const sent = new Map<string, number | null>();
    for (let page = 1; sent.size < 300; page++) {
      const items = (await (
        await fetch(`${emulator.url}/coins/markets?vs_currency=usd&per_page=250&page=${page}`)
      ).json()) as {
        id: string;
        ath_change_percentage: number | null;
      }[];
      if (items.length === 0) break;
      for (const item of items) sent.set(item.id, item.ath_change_percentage);
    }
    const stored = await t.db.query<{ coin_id: string; value: string | number | null }>(
      `SELECT coin_id, ath_change_percentage AS value FROM ${t.db.schemas.staging}.coingecko_markets`,
    );
    expect(stored).toHaveLength(300);
    expect([...sent.values()].some((v) => v !== null)).toBe(true);
    for (const row of stored) {
      expect([row.coin_id, row.value === null ? null : Number(row.value)]).toEqual([
        row.coin_id,
        sent.get(row.coin_id),
      ]);
    }
    const drift = await t.db.query(`SELECT field FROM ${t.db.schemas.etl}.schema_changes WHERE stream = $1`, [
      'coingecko.markets',
    ]);
    expect(drift).toEqual([]);
  });
});
