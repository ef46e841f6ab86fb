/**
 * How a table is cut into lake partitions: EVM tables by chain and block range (`chain_id=1/block_range=…/`),
 * time series by UTC day (`date=YYYY-MM-DD/`).
 */
export type LakePartitioning =
  | { kind: 'blocks'; block: string }
  | { kind: 'date'; column: string; type: 'timestamptz' | 'date' };

/** A staging table the lake holds: its partitioning, its row order and where its changes show. */
export interface LakeTable {
  name: string;
  partitioning: LakePartitioning;
  /**
   * A unique order of the rows inside one partition, so the same rows always give the same file. Text keys sort
   * `COLLATE "C"`: byte order needs no locale, and PostgreSQL compares it with memcmp and abbreviated keys, where
   * the database's default (`C.UTF-8`, `en_US`…) goes through strcoll — a third of a day of prices' COPY time.
   */
  orderBy: readonly string[];
  /**
   * The table whose `loaded_at` reveals changed partitions (default: the table itself). The EVM tables are
   * written block by block in one checkpoint with their block, and a reorg deletes and reloads whole blocks,
   * so `evm_blocks` (indexed on `loaded_at`) tells which block ranges changed for all four.
   */
  changes?: { table: string; block: string };
}

/** A text key in byte order. */
const c = (column: string) => `${column} COLLATE "C"`;

const evm = (name: string, block: string, orderBy: string[]): LakeTable => ({
  name,
  partitioning: { kind: 'blocks', block },
  orderBy,
  changes: { table: 'evm_blocks', block: 'number' },
});

/** Every table `export all` and the `lake-export` job write: the tables that grow. */
export const LAKE_TABLES: readonly LakeTable[] = [
  evm('evm_blocks', 'number', ['number']),
  evm('evm_transactions', 'block_number', ['block_number', 'transaction_index']),
  evm('evm_receipts', 'block_number', ['block_number', 'transaction_index']),
  evm('evm_logs', 'block_number', ['block_number', 'log_index']),
  {
    name: 'coingecko_prices',
    partitioning: { kind: 'date', column: 'ts', type: 'timestamptz' },
    orderBy: [c('coin_id'), c('vs_currency'), 'ts'],
  },
  {
    name: 'coingecko_markets',
    partitioning: { kind: 'date', column: 'last_updated', type: 'timestamptz' },
    orderBy: [c('coin_id'), c('vs_currency'), 'last_updated'],
  },
  {
    name: 'coincap_asset_history',
    partitioning: { kind: 'date', column: 'ts', type: 'timestamptz' },
    orderBy: [c('asset_id'), c('granularity'), 'ts'],
  },
  {
    name: 'dune_cow_trades',
    partitioning: { kind: 'date', column: 'block_date', type: 'date' },
    orderBy: [c('tx_hash'), c('order_uid'), 'evt_index'],
  },
];

/** The tables named on the command line (`all` for every one), in catalogue order. */
export function pickTables(names: readonly string[]): LakeTable[] | { unknown: string[] } {
  if (names.includes('all')) return [...LAKE_TABLES];
  const unknown = names.filter((n) => !LAKE_TABLES.some((t) => t.name === n));
  if (unknown.length > 0) return { unknown };
  return LAKE_TABLES.filter((t) => names.includes(t.name));
}
