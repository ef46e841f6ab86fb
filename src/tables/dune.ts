import { defineTable } from './defineTable.ts';

const optionalText = { type: 'text', nullable: true } as const;
const decimal = { type: 'numeric', nullable: true } as const;
const optionalUint256 = { type: 'uint256', nullable: true } as const;

/**
 * CoW Protocol trades (`cow_protocol_ethereum.trades` as the repo's CoW queries select it), keyed by
 * (tx_hash, order_uid, evt_index). Token units and USD values are exact decimals, token atoms uint256.
 */
export const duneCowTrades = defineTable({
  name: 'dune_cow_trades',
  columns: {
    tx_hash: { type: 'text' },
    order_uid: { type: 'text' },
    evt_index: { type: 'integer' },
    block_date: { type: 'date' },
    block_time: { type: 'timestamptz' },
    block_number: { type: 'bigint' },
    trader: optionalText,
    receiver: optionalText,
    sell_token_address: { type: 'text' },
    sell_token: optionalText,
    buy_token_address: { type: 'text' },
    buy_token: optionalText,
    units_sold: { type: 'numeric' },
    atoms_sold: { type: 'uint256' },
    units_bought: { type: 'numeric' },
    atoms_bought: { type: 'uint256' },
    usd_value: decimal,
    fee: decimal,
    fee_atoms: optionalUint256,
    fee_usd: decimal,
    limit_sell_amount: optionalUint256,
    limit_buy_amount: optionalUint256,
    valid_to: { type: 'timestamptz', nullable: true },
    flags: { type: 'integer', nullable: true },
    order_type: optionalText,
    partial_fill: { type: 'boolean', nullable: true },
    surplus_usd: decimal,
    app_data: optionalText,
    project_contract_address: optionalText,
  },
  key: ['tx_hash', 'order_uid', 'evt_index'],
  partitionedBy: ['block_time'],
});
