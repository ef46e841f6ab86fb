import { relationExists } from '../../db/introspect.ts';
import type { Db, Schemas } from '../../db/types.ts';
import type { QualityResult } from './types.ts';

/** A relation and the key that must be unique in it; `recent` limits the scan to the last 30 days of a column. */
export interface KeyedRelation {
  relation: (schemas: Schemas) => string;
  key: readonly string[];
  recent?: string;
}

/**
 * The natural keys of the CoinGecko tables, of EVM transactions and of the warehouse. Tables declare them as primary keys, so the
 * check guards against a dropped constraint or a load that bypassed it; views (market_overview) have no
 * constraint at all, and are where a join gone wrong shows first. Other sources add their relations here.
 */
export const KEYED_RELATIONS: readonly KeyedRelation[] = [
  { relation: (s) => `${s.staging}.coingecko_coins`, key: ['id'] },
  {
    relation: (s) => `${s.staging}.coingecko_markets`,
    key: ['coin_id', 'vs_currency', 'last_updated'],
    recent: 'snapshot_at',
  },
  { relation: (s) => `${s.staging}.coingecko_prices`, key: ['coin_id', 'vs_currency', 'ts'], recent: 'ts' },
  { relation: (s) => `${s.warehouse}.prices_hourly`, key: ['coin_id', 'vs_currency', 'hour'], recent: 'hour' },
  { relation: (s) => `${s.warehouse}.prices_daily`, key: ['coin_id', 'vs_currency', 'day'] },
  { relation: (s) => `${s.warehouse}.market_overview`, key: ['coin_id', 'vs_currency'] },
  // Partitioned by block number, evm_transactions' primary key holds it too: no index can keep a hash unique
  // across heights, so a hash stored at two heights (a reorg repair gone wrong) shows here.
  { relation: (s) => `${s.staging}.evm_transactions`, key: ['chain_id', 'hash'], recent: 'block_time' },
];

const RECENT_DAYS = 30;

/** Keys that occur more than once in each relation; a relation that does not exist (yet) is skipped. */
export async function checkDuplicateKeys(
  db: Db,
  relations: readonly KeyedRelation[] = KEYED_RELATIONS,
  now = new Date(),
): Promise<QualityResult[]> {
  const results: QualityResult[] = [];
  for (const r of relations) {
    const name = r.relation(db.schemas);
    if (!(await relationExists(db, name))) {
      results.push({
        check: 'duplicate_keys',
        subject: name,
        status: 'skipped',
        value: null,
        threshold: 0,
        details: { reason: 'no such table or view' },
      });
      continue;
    }
    const key = r.key.join(', ');
    const params = r.recent ? [new Date(now.getTime() - RECENT_DAYS * 86_400_000)] : [];
    const rows = await db.query<Record<string, unknown> & { n: number | string }>(
      `SELECT ${key}, count(*) AS n FROM ${name} ${r.recent ? `WHERE ${r.recent} >= $1` : ''}
       GROUP BY ${key} HAVING count(*) > 1 ORDER BY count(*) DESC`,
      params,
    );
    results.push({
      check: 'duplicate_keys',
      subject: name,
      status: rows.length === 0 ? 'passed' : 'failed',
      value: rows.length,
      threshold: 0,
      details: { key: r.key, ...(r.recent ? { windowDays: RECENT_DAYS } : {}), examples: rows.slice(0, 5) },
    });
  }
  return results;
}
