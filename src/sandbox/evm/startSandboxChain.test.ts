import { afterEach, describe, expect, it } from 'vitest';
import { jsonRpc } from './anvil.ts';
import { TRANSFER_TOPIC } from './erc20.ts';
import { type SandboxChain, startSandboxChain } from './startSandboxChain.ts';

type Block = { timestamp: string; transactions: string[] };

let chain: SandboxChain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
});

describe('startSandboxChain', () => {
  it('behavior: mines a token deployment and blocks of ether and ERC-20 transfers spread over the last days', async () => {
    chain = await startSandboxChain({ blocks: 10, transactionsPerBlock: 4, days: 2, cow: { perDay: 0 } });
    if (!chain) throw new Error('anvil is not installed: run npm install (devDependency @foundry-rs/anvil)');
    expect(chain.head).toBe(12);
    const rpc = jsonRpc(chain.url);
    const blocks = await rpc.batch<Block>(
      Array.from({ length: 13 }, (_, n) => ({
        method: 'eth_getBlockByNumber',
        params: [`0x${n.toString(16)}`, false],
      })),
    );
    expect(blocks.slice(3).map((b) => b.transactions.length)).toEqual(Array(10).fill(4));
    const times = blocks.map((b) => Number(b.timestamp));
    const nowS = Date.now() / 1000;
    expect(times[0]).toBeLessThan(nowS - 2 * 86_400 + 60);
    expect(times[12]).toBeGreaterThan(nowS - 86_400 / 2);
    expect(times[12]).toBeLessThanOrEqual(nowS + 60);
    expect(times.every((t, i) => i === 0 || t > (times[i - 1] as number))).toBe(true);
    const logs = await rpc.rpc<unknown[]>('eth_getLogs', [
      { fromBlock: '0x3', toBlock: 'latest', topics: [TRANSFER_TOPIC] },
    ]);
    expect(logs.length).toBeGreaterThan(0);
  });

  it('behavior: close() ends the node', async () => {
    chain = await startSandboxChain({ blocks: 1, cow: { perDay: 0 } });
    if (!chain) throw new Error('anvil is not installed: run npm install (devDependency @foundry-rs/anvil)');
    const { url } = chain;
    await chain.close();
    chain = undefined;
    await expect(jsonRpc(url).rpc('eth_blockNumber')).rejects.toThrow();
  });
});
