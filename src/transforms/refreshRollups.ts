import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineSqlFile, oldestOpenTransaction } from '../db/engineSql.ts';
import { engineOf } from '../db/engines.ts';
import { renderSql } from '../db/sqlTemplate.ts';
import type { Db } from '../db/types.ts';
import { readWatermark, writeWatermark } from '../db/watermarks.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface Rollup {
  /** File `rollups/<name>.sql` (or in the engine's own folder), one statement taking `$1` = loaded after. */
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
  const setup = engineOf(db).shortStatementSetup;
  for (const rollup of rollups) {
    const file = engineSqlFile(db, join(here, 'rollups'), rollup.name);
    // An engine without the rollup's SQL has no source table for it either.
    if (!file) continue;
    const sql = renderSql(readFileSync(file, 'utf8'), db.schemas);
    const key = `rollup:${rollup.name}`;
    const last = await readWatermark<{ loadedAt: string }>(db, db.schemas, key);
    const since = last ? new Date(new Date(last.loadedAt).getTime() - LOOKBACK_MS) : new Date(0);
    const [top] = await db.query<{ max: Date | string | null }>(
      `SELECT max(loaded_at) AS max FROM ${db.schemas.staging}.${rollup.source}`,
    );
    if (!top?.max) continue;
    const upTo = await capByOpenTransactions(db, new Date(top.max as Date));
    await db.transaction(async (tx) => {
      // A refresh reads what changed: no JIT compiling for a second to run it (erc20_transfers at 300,000 rows).
      if (setup) await tx.exec(setup);
      await tx.query(sql, [since]);
      await writeWatermark(tx, db.schemas, key, { loadedAt: upTo.toISOString() }, null);
    });
    refreshed.push(rollup.name);
  }
  return refreshed;
}

/**
 * `loaded_at` is the start of the writing transaction, so a long one (a 30-minute backfill) commits rows older
 * than a watermark saved meanwhile. The watermark never passes the start of the oldest transaction still open,
 * and those rows are picked up by the next refresh. Where the engine cannot tell (PGlite has one connection;
 * MySQL does not say), the rollups rely on the lookback alone.
 */
async function capByOpenTransactions(db: Db, loadedAt: Date): Promise<Date> {
  const started = await oldestOpenTransaction(db);
  return started && started < loadedAt ? started : loadedAt;
}

/** Every rollup `warehouse-refresh` keeps current; a source job may also refresh its own right after loading. */
export const ROLLUPS: readonly Rollup[] = [
  { name: 'prices_daily', source: 'coingecko_prices' },
  { name: 'prices_hourly', source: 'coingecko_prices' },
  { name: 'market_latest', source: 'coingecko_markets' },
  { name: 'chain_daily', source: 'evm_blocks' },
  { name: 'erc20_transfers', source: 'evm_event_erc20_transfer' },
];
