import { z } from 'zod';
import { dune, nullable } from './values.ts';

const integer = z.union([z.number().int(), z.string().regex(/^-?\d+$/)]).transform(Number);
const text = nullable(z.union([z.string(), z.number()]).transform(String));

/**
 * One row of `cow_protocol_ethereum.trades` as the repo's CoW queries select it → `staging.dune_cow_trades`
 * (declared in tables/dune.ts, whose columns and key the stream writes: `tsc` fails when this record lacks a
 * declared column). Amounts stay exact: `numeric` text, never floats.
 */
export const cowTradeRecord = z
  .object({
    tx_hash: dune.hex,
    order_uid: dune.hex,
    evt_index: integer,
    block_time: dune.timestamp,
    block_date: nullable(dune.date),
    block_number: integer,
    trader: nullable(dune.hex),
    receiver: nullable(dune.hex),
    sell_token_address: dune.hex,
    sell_token: text,
    buy_token_address: dune.hex,
    buy_token: text,
    units_sold: dune.numeric,
    atoms_sold: dune.numeric,
    units_bought: dune.numeric,
    atoms_bought: dune.numeric,
    usd_value: nullable(dune.numeric),
    fee: nullable(dune.numeric),
    fee_atoms: nullable(dune.numeric),
    fee_usd: nullable(dune.numeric),
    limit_sell_amount: nullable(dune.numeric),
    limit_buy_amount: nullable(dune.numeric),
    // The spell formats valid_to as 'YYYY-MM-DD HH:MM:SS' text although its docs say epoch seconds: both parse.
    valid_to: nullable(dune.timestamp),
    flags: nullable(integer),
    order_type: text,
    partial_fill: nullable(z.boolean()),
    surplus_usd: nullable(dune.numeric),
    app_data: nullable(dune.hex),
    project_contract_address: nullable(dune.hex),
  })
  .transform((t) => ({ ...t, block_date: t.block_date ?? t.block_time.toISOString().slice(0, 10) }));

export type CowTrade = z.output<typeof cowTradeRecord>;
