import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coingeckoMarkets } from '../src/tables/coingecko.ts';
import type { TableSpec } from '../src/tables/defineTable.ts';
import { duneCowTrades } from '../src/tables/dune.ts';
import { evmBlocks, evmLogs } from '../src/tables/evm.ts';
import { DECLARED_TABLES } from '../src/tables/index.ts';
import { type EngineName, openTestDb, POSTGRES_ENGINES, type TestDb } from './helpers/databases.ts';
import { differences } from './helpers/tableDeclarations.ts';

describe.each<EngineName>(['pglite', 'postgres', 'mysql'])('table declarations on %s', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(engine);
  }, 120_000);
  afterAll(() => t?.close());

  it('behavior: every declared staging table is migrated as declared (columns, types, nulls, key)', async () => {
    // Every fixed staging table: CoinGecko 3, CoinCap 4, dune_cow_trades, the EVM block tables 4 and evm_tokens.
    expect(DECLARED_TABLES.map((table) => table.name).sort()).toEqual([
      'coincap_asset_history',
      'coincap_assets',
      'coincap_exchanges',
      'coincap_markets',
      'coingecko_coins',
      'coingecko_markets',
      'coingecko_prices',
      'dune_cow_trades',
      'evm_blocks',
      'evm_logs',
      'evm_receipts',
      'evm_tokens',
      'evm_transactions',
    ]);
    const found = await Promise.all(DECLARED_TABLES.map((table) => differences(t.db, table)));
    expect(found.flat()).toEqual([]);
  });

  it('error: a column declared without its migration, and one migrated without its declaration, are named', async () => {
    // The walkthrough of docs/architecture.md halfway: the declaration gained a column the migration has not added.
    const ahead = {
      ...coingeckoMarkets,
      columns: { ...coingeckoMarkets.columns, ath_change_percentage: { type: 'numeric', nullable: true } },
    } as TableSpec;
    expect(await differences(t.db, ahead)).toEqual([
      'coingecko_markets.ath_change_percentage: declared, not in the table (a migration is missing)',
    ]);
    const { fully_diluted_valuation: _, ...fewer } = coingeckoMarkets.columns;
    expect(await differences(t.db, { ...coingeckoMarkets, columns: fewer } as TableSpec)).toEqual([
      'coingecko_markets.fully_diluted_valuation: in the table, not declared (add it to src/tables/)',
    ]);
  });

  it('error: a uint256 declared as a plain numeric, and a numeric declared uint256, are named', async () => {
    const swapped = {
      ...duneCowTrades,
      columns: {
        ...duneCowTrades.columns,
        atoms_sold: { type: 'numeric' },
        units_sold: { type: 'uint256' },
      },
    } as TableSpec;
    // In declaration order: units_sold comes first.
    const [units, atoms] = await differences(t.db, swapped);
    expect(atoms).toMatch(
      /^dune_cow_trades\.atoms_sold: declared numeric, the table has (numeric\(78,0\)|varchar\(78\))$/,
    );
    expect(units).toMatch(/^dune_cow_trades\.units_sold: declared uint256, the table has (numeric|decimal\(65,30\))$/);
  });

  it("error: a key that is not the table's, and partition columns that are not its own, are named", async () => {
    const partitions = POSTGRES_ENGINES.includes(engine);
    const wrongKey = await differences(t.db, { ...evmLogs, key: ['chain_id', 'transaction_hash'] } as TableSpec);
    expect(wrongKey).toEqual([
      partitions
        ? "evm_logs: declared key ∪ partitionedBy (chain_id, transaction_hash, block_number), the table's is (chain_id, transaction_hash, log_index, block_number)"
        : "evm_logs: declared key (chain_id, transaction_hash), the table's is (chain_id, transaction_hash, log_index)",
    ]);
    const wrongParts = await differences(t.db, {
      ...evmBlocks,
      partitionedBy: ['chain_id', 'block_time'],
    } as TableSpec);
    const unpartitioned = await differences(t.db, { ...evmBlocks, partitionedBy: undefined } as TableSpec);
    if (partitions) {
      // PostgreSQL's key gains the partition columns (0012): (chain_id, hash) + number.
      expect(wrongParts).toEqual([
        'evm_blocks: partitioned by (chain_id, number), declared partitionedBy (chain_id, block_time)',
      ]);
      expect(unpartitioned).toEqual(['evm_blocks: partitioned by (chain_id, number), declared partitionedBy ()']);
    } else {
      // MariaDB partitions nothing: the natural key is the table's, whatever partitionedBy says.
      expect(wrongParts).toEqual([]);
      expect(unpartitioned).toEqual([]);
    }
  });
});
