import type { Hex } from 'viem';
import type { Anvil } from './anvil.ts';

/**
 * Runtime code that emits one log per call, of `topics` topics taken from the calldata: calldata is the topics
 * (32 bytes each) then the log's data. Set on an address with `anvil_setCode`, it lets tests, the bench and the
 * sandbox emit any event of any ABI — the exact bytes a compiled contract would log — with no compiler.
 *
 *   for i = topics-1 … 0: PUSH1 32·i CALLDATALOAD        topics on the stack, topic0 on top
 *   PUSH1 32·topics CALLDATASIZE SUB                     size of the data
 *   DUP1 PUSH1 32·topics PUSH1 0 CALLDATACOPY            data copied to memory 0
 *   PUSH1 0 LOG<topics> STOP
 */
export function logEmitterCode(topics: 0 | 1 | 2 | 3 | 4): Hex {
  const bytes: number[] = [];
  for (let i = topics - 1; i >= 0; i--) bytes.push(0x60, 32 * i, 0x35);
  bytes.push(0x60, 32 * topics, 0x36, 0x03, 0x80, 0x60, 32 * topics, 0x60, 0x00, 0x37, 0x60, 0x00, 0xa0 + topics, 0x00);
  return `0x${bytes.map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Calldata for a log emitter: its topics, then the log's data. */
export function emitCalldata(topics: readonly Hex[], data: Hex): Hex {
  return `0x${topics.map((t) => t.slice(2)).join('')}${data.slice(2)}`;
}

/** Deploys the emitter of `topics` topics at `address` (any address: anvil sets the code there). */
export async function setLogEmitter(anvil: Pick<Anvil, 'rpc'>, address: Hex, topics: 0 | 1 | 2 | 3 | 4): Promise<void> {
  await anvil.rpc('anvil_setCode', [address, logEmitterCode(topics)]);
}
