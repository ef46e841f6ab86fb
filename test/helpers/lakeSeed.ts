import type { Db } from '../../src/db/types.ts';

/** 10^77 + n: a uint256 of 78 digits, past DECIMAL(38). */
const UINT256 = '100000000000000000000000000000000000000000000000000000000000000000000000000000';

/** Blocks `from`…`to` of chain 1 with two transactions and one log each; `tag` changes their hashes (a reorg). */
export async function seedEvm(db: Db, from: number, to: number, tag = 'a'): Promise<void> {
  const s = db.schemas.staging;
  await db.exec(`
    INSERT INTO ${s}.evm_blocks (chain_id, number, hash, parent_hash, block_time, miner, gas_limit, gas_used,
      base_fee_per_gas, extra_data, sha3_uncles, state_root, transactions_root, receipts_root, logs_bloom, uncles,
      transaction_count, withdrawals)
    SELECT 1, n, '0x${tag}' || n, '0x${tag}' || (n - 1), TIMESTAMPTZ '2024-01-01T00:00:00Z' + n * INTERVAL '12.345678 seconds',
      '0xminer', 30000000, n, n * 7, '0x', '0x', '0x', '0x', '0x', '0x', '[]'::jsonb, 2, '[{"index":"0x1"}]'::jsonb
    FROM generate_series(${from}, ${to}) AS n;
    INSERT INTO ${s}.evm_transactions (chain_id, hash, block_number, block_hash, block_time, transaction_index,
      from_address, to_address, value, gas, nonce, input, gas_price)
    SELECT 1, '0x${tag}t' || n || '_' || i, n, '0x${tag}' || n,
      TIMESTAMPTZ '2024-01-01T00:00:00Z' + n * INTERVAL '12.345678 seconds', i, '0xfrom', NULLIF('0xto', CASE WHEN i = 1 THEN '0xto' END),
      (${UINT256}::numeric(78,0) + n * 1000 + i), 21000, n, '0x', CASE WHEN i = 0 THEN n END
    FROM generate_series(${from}, ${to}) AS n, generate_series(0, 1) AS i;
    INSERT INTO ${s}.evm_logs (chain_id, transaction_hash, log_index, block_number, block_hash, block_time,
      transaction_index, address, topic0, data)
    SELECT 1, '0x${tag}t' || n || '_0', 0, n, '0x${tag}' || n, TIMESTAMPTZ '2024-01-01T00:00:00Z' + n * INTERVAL '12.345678 seconds',
      0, '0xtoken', '0xddf2', 'a "quoted", comma'
    FROM generate_series(${from}, ${to}) AS n;`);
}

export async function seedPrices(db: Db): Promise<void> {
  await db.exec(`
    INSERT INTO ${db.schemas.staging}.coingecko_prices (coin_id, vs_currency, ts, price, market_cap, total_volume)
    SELECT c, 'usd', TIMESTAMPTZ '2024-03-01T00:00:00Z' + n * INTERVAL '1 hour 1.000001 seconds',
      n * 1.123456789012345678901234567 + 0.000000000000000001, CASE WHEN n % 5 = 0 THEN NULL ELSE n * 1000000 END, n
    FROM generate_series(0, 99) AS n, unnest(ARRAY['bitcoin', 'ethereum']) AS c;`);
}
