import { anvilBinary, startAnvil } from './anvil.ts';
import { createChainDriver } from './chainDriver.ts';

export interface SandboxChain {
  /** JSON-RPC URL of the local anvil node. */
  url: string;
  /** The last block mined. */
  head: number;
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
}

const DAY_S = 86_400;

/**
 * Starts a local anvil and mines a modest synthetic chain on it: an ERC-20 deployment, then `blocks` blocks of
 * ether and token transfers. Resolves undefined when the anvil binary is not installed (its package is a
 * devDependency), so a production install runs the sandbox without a chain.
 */
export async function startSandboxChain(options: SandboxChainOptions = {}): Promise<SandboxChain | undefined> {
  if (!anvilBinary()) return undefined;
  const { blocks = 60, transactionsPerBlock = 4, days = 3, now = Date.now } = options;
  const genesisS = Math.floor(now() / 1000) - days * DAY_S;
  const anvil = await startAnvil(['--timestamp', String(genesisS)]);
  try {
    // Every block `interval` seconds after the one before: the last (deployment, token hand-out, then `blocks`)
    // lands about now.
    await anvil.rpc('anvil_setBlockTimestampInterval', [Math.floor((days * DAY_S) / (blocks + 2))]);
    const driver = await createChainDriver(anvil);
    await driver.deployErc20();
    for (let b = 1; b <= blocks; b++) await driver.mine(driver.mixedBlock(b, transactionsPerBlock));
    return { url: anvil.url, head: await driver.head(), close: anvil.close };
  } catch (error) {
    await anvil.close();
    throw error;
  }
}
