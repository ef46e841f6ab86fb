/** The outcome of one check on one subject, as stored in `etl.quality_results`. */
export interface QualityResult {
  check: QualityCheckName;
  /** What was checked: `job/stream`, a table, or a `coin/currency` series. */
  subject: string;
  status: 'passed' | 'failed' | 'skipped';
  /** The measure: age in minutes, missing points, duplicate keys, jumps. */
  value: number | null;
  /** The limit the measure was held to. */
  threshold: number | null;
  details?: Record<string, unknown>;
}

export type QualityCheckName =
  | 'freshness'
  | 'gaps_hourly'
  | 'gaps_daily'
  | 'duplicate_keys'
  | 'price_jumps'
  | 'evm_block_contents'
  | 'evm_block_gaps'
  | 'cow_reconciliation';
