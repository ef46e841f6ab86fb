import { encodeAbiParameters, encodeEventTopics, type Hex, pad, parseAbiItem } from 'viem';
import { COW_SETTLEMENT, COW_TRADE_EVENT } from '../../sources/evm/events/contracts.ts';
import type { OnChainTrade } from '../dune/cowTrades.ts';
import type { Anvil } from './anvil.ts';
import { emitCalldata, setLogEmitter } from './logEmitter.ts';

const TRADE = parseAbiItem(COW_TRADE_EVENT);
const TRADE_DATA = TRADE.inputs.filter((p) => !('indexed' in p && p.indexed));

/** A Dune trade row of the emulator (`cowTradesOfDay`), the fields a `Trade` event carries. */
export interface DuneTradeRow {
  block_time: string;
  order_uid: string;
  trader: string;
  sell_token_address: string;
  buy_token_address: string;
  atoms_sold: string;
  atoms_bought: string;
  fee_atoms: string;
}

/** Makes GPv2Settlement's address a log emitter (topic0 and the indexed owner), so transactions to it log `Trade`. */
export async function deployCowSettlement(anvil: Pick<Anvil, 'rpc'>): Promise<void> {
  await setLogEmitter(anvil, COW_SETTLEMENT as Hex, 2);
}

/** The transaction that logs the trade's `Trade` event, with the bytes GPv2Settlement would log. */
export function tradeTx(from: Hex, trade: DuneTradeRow): Record<string, string> {
  const topics = encodeEventTopics({ abi: [TRADE], args: { owner: trade.trader as Hex } }) as Hex[];
  const data = encodeAbiParameters(TRADE_DATA, [
    trade.sell_token_address as Hex,
    trade.buy_token_address as Hex,
    BigInt(trade.atoms_sold),
    BigInt(trade.atoms_bought),
    BigInt(trade.fee_atoms),
    trade.order_uid as Hex,
  ]);
  return {
    from,
    to: COW_SETTLEMENT,
    data: emitCalldata([topics[0] as Hex, pad(trade.trader as Hex)], data),
    gas: '0x30d40',
  };
}

/** Where each trade transaction landed: its block, the block's time and the `Trade` log's index, by order uid. */
export async function tradesOnChain(
  anvil: Pick<Anvil, 'batch'>,
  sent: readonly { orderUid: string; txHash: Hex }[],
): Promise<Map<string, OnChainTrade>> {
  const receipts = await anvil.batch<{ blockNumber: string; logs: { logIndex: string }[]; status: string }>(
    sent.map((s) => ({ method: 'eth_getTransactionReceipt', params: [s.txHash] })),
  );
  const heights = [...new Set(receipts.map((r) => r.blockNumber))];
  const blocks = await anvil.batch<{ timestamp: string }>(
    heights.map((h) => ({ method: 'eth_getBlockByNumber', params: [h, false] })),
  );
  const times = new Map(heights.map((h, i) => [h, Number(blocks[i]?.timestamp) * 1000]));
  const out = new Map<string, OnChainTrade>();
  sent.forEach((s, i) => {
    const receipt = receipts[i];
    if (receipt?.status !== '0x1' || !receipt.logs[0]) throw new Error(`sandbox Trade ${s.txHash} logged nothing`);
    out.set(s.orderUid, {
      txHash: s.txHash,
      blockNumber: Number(receipt.blockNumber),
      blockTimeMs: times.get(receipt.blockNumber) as number,
      logIndex: Number(receipt.logs[0].logIndex),
    });
  });
  return out;
}
