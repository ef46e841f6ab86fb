import { createHash } from 'node:crypto';
import { priceAt } from '../coingecko/prices.ts';
import { unit } from '../coingecko/random.ts';

export const WETH = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2';
export const USDC = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48';
const SETTLEMENT = '0x9008d19f58aabd9ed0d60971565aa8510560ab41';
const DAY_MS = 86_400_000;
// The merge block and its time anchor block numbers: one block every 12 s since.
const MERGE_BLOCK = 15_537_394;
const MERGE_MS = 1_663_224_179_000;

/** The columns the repo's CoW queries select, with the DuneSQL types of `cow_protocol_ethereum.trades`. */
export const COW_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['block_date', 'date'],
  ['block_time', 'timestamp(3) with time zone'],
  ['block_number', 'bigint'],
  ['tx_hash', 'varbinary'],
  ['evt_index', 'bigint'],
  ['order_uid', 'varbinary'],
  ['trader', 'varbinary'],
  ['receiver', 'varbinary'],
  ['sell_token_address', 'varbinary'],
  ['sell_token', 'varchar'],
  ['buy_token_address', 'varbinary'],
  ['buy_token', 'varchar'],
  ['units_sold', 'double'],
  ['atoms_sold', 'uint256'],
  ['units_bought', 'double'],
  ['atoms_bought', 'uint256'],
  ['usd_value', 'double'],
  ['fee', 'double'],
  ['fee_atoms', 'uint256'],
  ['fee_usd', 'double'],
  ['limit_sell_amount', 'uint256'],
  ['limit_buy_amount', 'uint256'],
  ['valid_to', 'varchar'],
  ['flags', 'integer'],
  ['order_type', 'varchar'],
  ['partial_fill', 'boolean'],
  ['surplus_usd', 'double'],
  ['app_data', 'varbinary'],
  ['project_contract_address', 'varbinary'],
];

/** Dune's timestamp text: `2024-01-15 13:45:12.000 UTC`. */
export function duneTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

function hex(bytes: number, ...parts: Array<string | number>): string {
  let out = '';
  for (let i = 0; out.length < bytes * 2; i++) {
    out += createHash('sha256')
      .update(`${parts.join('|')}|${i}`)
      .digest('hex');
  }
  return `0x${out.slice(0, bytes * 2)}`;
}

export interface CowDayOptions {
  seed: number;
  /** Trades per day; default 48. */
  perDay: number;
  buyToken: string;
  sellToken: string;
  /** Trades the sandbox chain emitted, by order uid: Dune then reports the chain's tx hash, block and log index. */
  onChain?: ReadonlyMap<string, OnChainTrade>;
}

/** Where the sandbox chain put a trade's `Trade` event. */
export interface OnChainTrade {
  txHash: string;
  blockNumber: number;
  /** The block's timestamp, ms (whole seconds). */
  blockTimeMs: number;
  logIndex: number;
}

/**
 * Synthetic CoW trades of one UTC day between WETH and USDC, deterministic in (seed, day, index): each executes
 * within ±25 bps of `priceAt('ethereum', block_time)`, the CoinGecko emulator's price at that instant. Other token
 * pairs have no trades. uint256 amounts are JSON strings (exact), doubles are numbers.
 */
export function cowTradesOfDay(dayMs: number, options: CowDayOptions): Record<string, unknown>[] {
  const buy = options.buyToken.toLowerCase();
  const sell = options.sellToken.toLowerCase();
  const buysWeth = buy === WETH && sell === USDC;
  if (!buysWeth && !(buy === USDC && sell === WETH)) return [];
  const { seed } = options;
  const trades = Array.from({ length: options.perDay }, (_, i) => {
    const ts = dayMs + Math.floor(unit(seed, 'cow', dayMs, i, 'time') * DAY_MS);
    return { i, ts };
  }).sort((a, b) => a.ts - b.ts || a.i - b.i);
  return trades.map(({ i, ts }) => {
    const market = priceAt('ethereum', ts, seed);
    const deviationBps = (unit(seed, 'cow', dayMs, i, 'deviation') - 0.5) * 50;
    const price = market * (1 + deviationBps / 10_000);
    const wethMicro = BigInt(Math.round((0.05 + unit(seed, 'cow', dayMs, i, 'size') ** 2 * 20) * 1e6));
    const wethAtoms = wethMicro * 10n ** 12n;
    const weth = Number(wethMicro) / 1e6;
    const usdcAtoms = BigInt(Math.round(weth * price * 1e6));
    const usdc = Number(usdcAtoms) / 1e6;
    const [soldAtoms, boughtAtoms] = buysWeth ? [usdcAtoms, wethAtoms] : [wethAtoms, usdcAtoms];
    const [sold, bought] = buysWeth ? [usdc, weth] : [weth, usdc];
    // A sell order: everything offered is sold; the limit asked for 0.5 % less than it got.
    const limitBuy = (boughtAtoms * 995n) / 1000n;
    const usdValue = usdc;
    const surplus =
      (usdValue * Number(boughtAtoms * soldAtoms - soldAtoms * limitBuy)) / Number(boughtAtoms * soldAtoms);
    const trader = hex(20, seed, dayMs, i, 'trader');
    const orderUid = hex(56, seed, dayMs, i, 'order');
    const chain = options.onChain?.get(orderUid);
    return {
      block_date: new Date(dayMs).toISOString().slice(0, 10),
      block_time: duneTimestamp(chain?.blockTimeMs ?? ts),
      block_number: chain?.blockNumber ?? MERGE_BLOCK + Math.floor((ts - MERGE_MS) / 12_000),
      tx_hash: chain?.txHash ?? hex(32, seed, dayMs, i, 'tx'),
      evt_index: chain?.logIndex ?? Math.floor(unit(seed, 'cow', dayMs, i, 'log') * 400),
      order_uid: orderUid,
      trader,
      receiver: trader,
      sell_token_address: buysWeth ? USDC : WETH,
      sell_token: buysWeth ? 'USDC' : 'WETH',
      buy_token_address: buysWeth ? WETH : USDC,
      buy_token: buysWeth ? 'WETH' : 'USDC',
      units_sold: sold,
      atoms_sold: soldAtoms.toString(),
      units_bought: bought,
      atoms_bought: boughtAtoms.toString(),
      usd_value: usdValue,
      fee: 0,
      fee_atoms: '0',
      fee_usd: 0,
      limit_sell_amount: soldAtoms.toString(),
      limit_buy_amount: limitBuy.toString(),
      valid_to: duneTimestamp(ts + 20 * 60_000).slice(0, 19),
      flags: 0,
      order_type: 'SELL',
      partial_fill: false,
      surplus_usd: surplus,
      app_data: hex(32, seed, dayMs, i, 'app'),
      project_contract_address: SETTLEMENT,
    };
  });
}

/** The trades of every UTC day in [fromDayMs, toDayMs] (both day starts). */
export function cowTradesBetween(
  fromDayMs: number,
  toDayMs: number,
  options: CowDayOptions,
): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let day = fromDayMs; day <= toDayMs; day += DAY_MS) rows.push(...cowTradesOfDay(day, options));
  return rows;
}
