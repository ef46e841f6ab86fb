-- On-chain warehouse: daily activity per chain (a rollup refreshed by the evm-blocks job, see
-- rollups/chain_daily.sql) and ERC-20 transfers (a table filled from evm-events' decoded Transfer events, see
-- rollups/erc20_transfers.sql); their tables are created by migration 0014.

-- The refresh reads what loaded since the last one.
CREATE INDEX IF NOT EXISTS evm_event_erc20_transfer_loaded_idx ON {staging}.evm_event_erc20_transfer (loaded_at);
