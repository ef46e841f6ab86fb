-- The latest snapshot (by snapshot_at, then last_updated) of every coin and currency, from the rows loaded after $1
-- (coingecko_markets_loaded_idx): each coin's newest of those replaces its row only if it is not older than what
-- the row holds, so a re-loaded older snapshot never replaces a newer one, and no older snapshot is read again.
-- MySQL assigns left to right, each assignment seeing the ones before: the test reads snapshot_at and
-- last_updated, so those two are assigned last (last_updated first: the test on snapshot_at then still holds).
-- The row's own columns are qualified: the select's columns have the same names.
INSERT INTO {warehouse}.market_latest
  (coin_id, vs_currency, symbol, name, current_price, market_cap, market_cap_rank, total_volume, high_24h, low_24h,
  price_change_percentage_24h, circulating_supply, total_supply, max_supply, last_updated, snapshot_at)
SELECT coin_id, vs_currency, symbol, name, current_price, market_cap, market_cap_rank, total_volume, high_24h, low_24h,
  price_change_percentage_24h, circulating_supply, total_supply, max_supply, last_updated, snapshot_at
FROM (
  SELECT m.*, row_number() OVER (PARTITION BY coin_id, vs_currency ORDER BY snapshot_at DESC, last_updated DESC) AS n
  FROM {staging}.coingecko_markets m
  WHERE loaded_at > $1
) latest
WHERE n = 1
ON DUPLICATE KEY UPDATE
  symbol = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(symbol), {warehouse}.market_latest.symbol),
  name = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(name), {warehouse}.market_latest.name),
  current_price = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(current_price), {warehouse}.market_latest.current_price),
  market_cap = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(market_cap), {warehouse}.market_latest.market_cap),
  market_cap_rank = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(market_cap_rank), {warehouse}.market_latest.market_cap_rank),
  total_volume = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(total_volume), {warehouse}.market_latest.total_volume),
  high_24h = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(high_24h), {warehouse}.market_latest.high_24h),
  low_24h = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(low_24h), {warehouse}.market_latest.low_24h),
  price_change_percentage_24h = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(price_change_percentage_24h), {warehouse}.market_latest.price_change_percentage_24h),
  circulating_supply = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(circulating_supply), {warehouse}.market_latest.circulating_supply),
  total_supply = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(total_supply), {warehouse}.market_latest.total_supply),
  max_supply = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(max_supply), {warehouse}.market_latest.max_supply),
  last_updated = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(last_updated), {warehouse}.market_latest.last_updated),
  snapshot_at = IF((VALUES(snapshot_at) > {warehouse}.market_latest.snapshot_at OR (VALUES(snapshot_at) = {warehouse}.market_latest.snapshot_at AND VALUES(last_updated) >= {warehouse}.market_latest.last_updated)), VALUES(snapshot_at), {warehouse}.market_latest.snapshot_at)
