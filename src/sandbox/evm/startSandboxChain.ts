import type { Hex } from 'viem';
import { DEFAULT_SEED } from '../coingecko/prices.ts';
import { cowTradesBetween, type OnChainTrade, USDC, WETH } from '../dune/cowTrades.ts';
import { anvilBinary, startAnvil } from './anvil.ts';
import { createChainDriver } from './chainDriver.ts';
import { type DuneTradeRow, deployCowSettlement, tradesOnChain, tradeTx } from './cowSettlement.ts';

export interface SandboxChain {
  /** JSON-RPC URL of the local anvil node. */
  url: string;
  /** The last block mined. */
  head: number;
  /** The sandbox ERC-20's address. */
  token: string;
  /** The CoW trades emitted as GPv2Settlement `Trade` events, by order uid (for the Dune emulator to serve). */
  cowTrades: ReadonlyMap<string, OnChainTrade>;
  close(): Promise<void>;
}

export interface SandboxChainOptions {
  /** Blocks of mixed ether and ERC-20 transfers mined after the token deployment. */
  blocks?: number;
  transactionsPerBlock?: number;
  /** The blocks are spread evenly over this many days before now, so the daily rollup has several rows. */
  days?: number;
  /** The instant (ms) the last block lands at; default the system clock. */
  now?: () => number;
  /** The Dune emulator's seed and trades per day: the chain emits the same WETH–USDC trades; default 42 and 48. */
  cow?: { seed?: number; perDay?: number };
}

const DAY_S = 86_400;
const DAY_MS = DAY_S * 1000;

/**
 * Starts a local anvil and mines a modest synthetic chain on it: an ERC-20 deployment, then `blocks` blocks of
 * ether and token transfers, and between them, each in a block at its own time, the CoW trades the Dune emulator
 * serves for the chain's whole days up to yesterday, as `Trade` events of GPv2Settlement's address. Resolves
 * undefined when the anvil binary is not installed (its package is a devDependency), so a production install runs
 * the sandbox without a chain.
 */
export async function startSandboxChain(options: SandboxChainOptions = {}): Promise<SandboxChain | undefined> {
  if (!anvilBinary()) return undefined;
  const { blocks = 60, transactionsPerBlock = 4, days = 3, now = Date.now } = options;
  const nowS = Math.floor(now() / 1000);
  const genesisS = nowS - days * DAY_S;
  const anvil = await startAnvil(['--timestamp', String(genesisS)]);
  try {
    // Deployment and token hand-out one second apart, then every block at the time it is given.
    await anvil.rpc('anvil_setBlockTimestampInterval', [1]);
    const driver = await createChainDriver(anvil);
    await driver.deployErc20();
    await anvil.rpc('anvil_removeBlockTimestampInterval');
    await deployCowSettlement(anvil);
    const firstS = genesisS + 3;
    const schedule = new Map<number, { txs: Record<string, unknown>[]; trades: string[] }>();
    const at = (s: number) => schedule.get(s) ?? schedule.set(s, { txs: [], trades: [] }).get(s);
    // The last of `blocks` lands at now.
    for (let b = 1; b <= blocks; b++) {
      at(firstS + Math.round((b * (nowS - firstS)) / blocks))?.txs.push(...driver.mixedBlock(b, transactionsPerBlock));
    }
    const firstDay = Math.ceil((firstS * 1000) / DAY_MS) * DAY_MS;
    const yesterday = Math.floor((nowS * 1000) / DAY_MS) * DAY_MS - DAY_MS;
    const trades = cowTradesBetween(firstDay, yesterday, {
      seed: options.cow?.seed ?? DEFAULT_SEED,
      perDay: options.cow?.perDay ?? 48,
      buyToken: WETH,
      sellToken: USDC,
    }) as unknown as (DuneTradeRow & { block_time: string })[];
    trades.forEach((trade, i) => {
      const slot = at(Math.floor(Date.parse(trade.block_time.replace(' UTC', 'Z')) / 1000));
      slot?.txs.push(tradeTx(driver.accounts[i % driver.accounts.length] as Hex, trade));
      slot?.trades.push(trade.order_uid);
    });
    const sent: { orderUid: string; txHash: Hex }[] = [];
    for (const [second, slot] of [...schedule].sort((a, b) => a[0] - b[0])) {
      await anvil.rpc('evm_setNextBlockTimestamp', [second]);
      const hashes = await driver.mine(slot.txs as Parameters<typeof driver.mine>[0]);
      const offset = hashes.length - slot.trades.length;
      slot.trades.forEach((orderUid, k) => {
        sent.push({ orderUid, txHash: hashes[offset + k] as Hex });
      });
    }
    const cowTrades = await tradesOnChain(anvil, sent);
    return { url: anvil.url, head: await driver.head(), token: driver.token, cowTrades, close: anvil.close };
  } catch (error) {
    await anvil.close();
    throw error;
  }
}
