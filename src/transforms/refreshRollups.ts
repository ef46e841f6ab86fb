import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSql } from '../db/sqlTemplate.ts';
import type { Db } from '../db/types.ts';
import { readWatermark, writeWatermark } from '../pipeline/watermarks.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface Rollup {
  /** File `rollups/<name>.sql` (MySQL: `rollups/mysql/<name>.sql`), one statement taking `$1` = loaded after. */
  name: string;
  /** The staging table whose `loaded_at` marks what changed. */
  source: string;
}

/** Rows committed by a transaction that began before the last refresh carry an older `loaded_at`: look back this far. */
const LOOKBACK_MS = 10 * 60_000;

/**
 * Refreshes each rollup for the window its source changed in since the last refresh (tracked as the
 * watermark `rollup:<name>`), never the whole table.
 */
export async function refreshRollups(db: Db, rollups: readonly Rollup[]): Promise<string[]> {
  const refreshed: string[] = [];
  for (const rollup of rollups) {
    const folder = db.dialect === 'mysql' ? join(here, 'rollups', 'mysql') : join(here, 'rollups');
    const sql = renderSql(readFileSync(join(folder, `${rollup.name}.sql`), 'utf8'), db.schemas);
    const key = `rollup:${rollup.name}`;
    const last = await readWatermark<{ loadedAt: string }>(db, db.schemas, key);
    const since = last ? new Date(new Date(last.loadedAt).getTime() - LOOKBACK_MS) : new Date(0);
    const [top] = await db.query<{ max: Date | string | null }>(
      `SELECT max(loaded_at) AS max FROM ${db.schemas.staging}.${rollup.source}`,
    );
    if (!top?.max) continue;
    await db.transaction(async (tx) => {
      await tx.query(sql, [since]);
      await writeWatermark(tx, db.schemas, key, { loadedAt: new Date(top.max as Date).toISOString() }, null);
    });
    refreshed.push(rollup.name);
  }
  return refreshed;
}

/** The rollups of the CoinGecko prices; other issues add theirs to this list. */
export const ROLLUPS: readonly Rollup[] = [
  { name: 'prices_daily', source: 'coingecko_prices' },
  { name: 'prices_hourly', source: 'coingecko_prices' },
];
