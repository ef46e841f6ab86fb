import { relationExists } from '../../db/introspect.ts';
import type { Db } from '../../db/types.ts';
import type { QualityResult } from './types.ts';

/** Trades present in one source only listed in a result's details, at most. */
const EXAMPLES = 20;

type Count = number | string;

/**
 * CoW trades from Dune against the same trades decoded from the chain (`warehouse.cow_reconciliation`, over the span
 * both cover): fails on every trade found in one source only (by tx hash and order uid) and on each day whose volume
 * differs. Skipped when either side holds no trade, or on engines without the chain tables (MySQL).
 */
export async function checkCowReconciliation(db: Db): Promise<QualityResult[]> {
  const w = db.schemas.warehouse;
  const subject = `${w}.cow_reconciliation`;
  const skip = (reason: string): QualityResult[] => [
    { check: 'cow_reconciliation', subject, status: 'skipped', value: null, threshold: 0, details: { reason } },
  ];
  if (!(await relationExists(db, subject))) return skip('no such view');
  const days = await db.query<{
    day: Date | string;
    dune_trades: Count;
    chain_trades: Count;
    dune_volume: string;
    chain_volume: string;
    agrees: boolean;
  }>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, dune_trades, chain_trades, dune_volume::text AS dune_volume,
       chain_volume::text AS chain_volume, agrees
     FROM ${w}.cow_reconciliation_daily ORDER BY day`,
  );
  if (days.length === 0) return skip('no trades from both Dune and the chain over a common span');
  const unmatched = await db.query<{ day: string; tx_hash: string; order_uid: string; found_in: string }>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, tx_hash, order_uid, found_in FROM ${w}.cow_reconciliation
     WHERE found_in <> 'both' ORDER BY day, tx_hash, order_uid LIMIT ${EXAMPLES}`,
  );
  const [total] = await db.query<{ n: Count }>(
    `SELECT count(*) AS n FROM ${w}.cow_reconciliation WHERE found_in <> 'both'`,
  );
  const missing = Number(total?.n ?? 0);
  const volumeDays = days.filter((d) => d.dune_volume !== d.chain_volume).map((d) => d.day);
  return [
    {
      check: 'cow_reconciliation',
      subject,
      status: missing === 0 && volumeDays.length === 0 ? 'passed' : 'failed',
      value: missing,
      threshold: 0,
      details: {
        days: days.length,
        duneTrades: days.reduce((n, d) => n + Number(d.dune_trades), 0),
        chainTrades: days.reduce((n, d) => n + Number(d.chain_trades), 0),
        volumeDiffers: volumeDays,
        unmatched: unmatched.map((u) => ({
          day: u.day,
          txHash: u.tx_hash,
          orderUid: u.order_uid,
          missingFrom: u.found_in === 'dune' ? 'chain' : 'dune',
        })),
      },
    },
  ];
}
