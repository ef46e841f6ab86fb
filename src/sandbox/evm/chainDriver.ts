import type { Hex } from 'viem';
import type { Anvil } from './anvil.ts';
import { erc20Bytecode, transferData } from './erc20.ts';

type Tx = Record<string, string | unknown[]>;

const hex = (n: number | bigint) => `0x${n.toString(16)}`;

/**
 * Drives anvil's unlocked dev accounts with explicit nonces (batched `eth_sendTransaction` cannot infer them)
 * and mines blocks by hand, so each block holds exactly the transactions sent for it.
 */
export async function createChainDriver(anvil: Anvil) {
  const accounts = await anvil.rpc<Hex[]>('eth_accounts');
  const nonces = new Map<string, number>();
  const resync = async () => {
    const counts = await anvil.batch<string>(
      accounts.map((a) => ({ method: 'eth_getTransactionCount', params: [a, 'pending'] })),
    );
    accounts.forEach((a, i) => {
      nonces.set(a, Number(counts[i]));
    });
  };
  await resync();
  await anvil.rpc('evm_setAutomine', [false]);
  const nextNonce = (from: string) => {
    const n = nonces.get(from) ?? 0;
    nonces.set(from, n + 1);
    return hex(n);
  };
  let token: Hex | undefined;

  const driver = {
    accounts,
    /** Rereads every nonce: after a reorg the chain forgot some transactions. */
    resync,
    get token(): Hex {
      if (!token) throw new Error('deployErc20 first');
      return token;
    },
    /** Sends the transactions and mines them into one block; returns their hashes. */
    async mine(txs: readonly Tx[]): Promise<Hex[]> {
      const hashes = await anvil.batch<Hex>(
        txs.map((tx) => ({ method: 'eth_sendTransaction', params: [{ ...tx, nonce: nextNonce(tx.from as string) }] })),
      );
      await anvil.rpc('evm_mine');
      return hashes;
    },
    /** Deploys the minimal ERC-20 from the first account and gives every account a balance of it. */
    async deployErc20(supply = 10n ** 30n): Promise<Hex> {
      const owner = accounts[0] as Hex;
      const [hash] = await driver.mine([{ from: owner, data: erc20Bytecode(supply), gas: hex(300_000) }]);
      const receipt = await anvil.rpc<{ contractAddress: Hex; status: string }>('eth_getTransactionReceipt', [hash]);
      if (receipt.status !== '0x1') throw new Error('ERC-20 deployment reverted');
      token = receipt.contractAddress;
      await driver.mine(accounts.slice(1).map((to) => driver.tokenTransfer(owner, to, supply / 100n)));
      return token;
    },
    tokenTransfer(from: Hex, to: Hex, amount: bigint): Tx {
      return { from, to: driver.token, data: transferData(to, amount), gas: hex(80_000) };
    },
    /** A mix of legacy, access-list and EIP-1559 ether transfers and ERC-20 transfers, `count` per block. */
    mixedBlock(block: number, count: number): Tx[] {
      return Array.from({ length: count }, (_, i) => {
        const from = accounts[i % accounts.length] as Hex;
        const to = accounts[(i + 1 + (block % 7)) % accounts.length] as Hex;
        const kind = (block + i) % 4;
        if (kind === 0) return driver.tokenTransfer(from, to, BigInt(1_000 + block * 13 + i));
        if (kind === 1)
          return { from, to, value: hex(10n ** 15n + BigInt(block)), gasPrice: hex(3e9), gas: hex(21_000) };
        if (kind === 2) {
          return {
            from,
            to,
            value: hex(block + i + 1),
            type: '0x1',
            accessList: [],
            gasPrice: hex(4e9),
            gas: hex(30_000),
          };
        }
        return {
          from,
          to,
          value: hex(10n ** 18n + BigInt(i)),
          maxFeePerGas: hex(5e9),
          maxPriorityFeePerGas: hex(1e9),
          gas: hex(21_000),
        };
      });
    },
    /** Mines `blocks` blocks of `perBlock` mixed transactions each (deploys the ERC-20 first if needed). */
    async fill(blocks: number, perBlock: number): Promise<void> {
      if (!token) await driver.deployErc20();
      const head = Number(await anvil.rpc<string>('eth_blockNumber'));
      for (let b = 0; b < blocks; b++) await driver.mine(driver.mixedBlock(head + b, perBlock));
    },
    async head(): Promise<number> {
      return Number(await anvil.rpc<string>('eth_blockNumber'));
    },
  };
  return driver;
}

export type ChainDriver = Awaited<ReturnType<typeof createChainDriver>>;
