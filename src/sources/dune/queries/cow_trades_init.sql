-- crypto-etl: CoW Protocol trades of one token pair (default: WETH bought with USDC), this month up to yesterday (UTC).
-- Parameters (text): target_buy_token, target_sell_token — 0x addresses, used unquoted as varbinary.
SELECT
  block_date,
  block_time,
  block_number,
  tx_hash,
  evt_index,
  order_uid,
  trader,
  receiver,
  sell_token_address,
  sell_token,
  buy_token_address,
  buy_token,
  units_sold,
  atoms_sold,
  units_bought,
  atoms_bought,
  usd_value,
  fee,
  fee_atoms,
  fee_usd,
  limit_sell_amount,
  limit_buy_amount,
  valid_to,
  flags,
  order_type,
  partial_fill,
  surplus_usd,
  app_data,
  project_contract_address
FROM cow_protocol_ethereum.trades
WHERE buy_token_address = {{target_buy_token}}
  AND sell_token_address = {{target_sell_token}}
  AND block_date >= date_trunc('month', current_date - interval '1' day)
  AND block_date < current_date
ORDER BY block_time, evt_index
