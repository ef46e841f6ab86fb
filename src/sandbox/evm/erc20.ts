import { type Hex, keccak256, toHex } from 'viem';

/**
 * A minimal ERC-20 (totalSupply, balanceOf, transfer + the Transfer event), assembled here from EVM opcodes so
 * the sandbox and the tests need no Solidity compiler. The constructor mints `supply` to the deployer and emits
 * Transfer(0x0, deployer, supply). Balances live at slot `address | 1 << 160`, the supply at slot 0.
 */
export const TRANSFER_TOPIC = keccak256(toHex('Transfer(address,address,uint256)'));

const OPS: Record<string, number> = {
  STOP: 0x00,
  ADD: 0x01,
  SUB: 0x03,
  GT: 0x11,
  EQ: 0x14,
  OR: 0x17,
  SHL: 0x1b,
  SHR: 0x1c,
  CALLER: 0x33,
  CALLDATALOAD: 0x35,
  CODECOPY: 0x39,
  MSTORE: 0x52,
  SLOAD: 0x54,
  SSTORE: 0x55,
  JUMPI: 0x57,
  JUMPDEST: 0x5b,
  DUP1: 0x80,
  DUP3: 0x82,
  DUP4: 0x83,
  SWAP1: 0x90,
  LOG3: 0xa3,
  RETURN: 0xf3,
  REVERT: 0xfd,
};

/** An instruction: an opcode name, `[bytes, value]` for PUSHn, `@label` for a JUMPDEST, `>label` for PUSH2 of it. */
type Instruction = string | [number, bigint | number | string];

function assemble(program: readonly Instruction[]): Uint8Array {
  const labels = new Map<string, number>();
  const size = (ins: Instruction) => (Array.isArray(ins) ? 1 + ins[0] : ins.startsWith('>') ? 3 : 1);
  let offset = 0;
  for (const ins of program) {
    if (typeof ins === 'string' && ins.startsWith('@')) labels.set(ins.slice(1), offset);
    offset += size(ins);
  }
  const out: number[] = [];
  const push = (bytes: number, value: bigint) => {
    out.push(0x5f + bytes);
    for (let i = bytes - 1; i >= 0; i--) out.push(Number((value >> BigInt(8 * i)) & 0xffn));
  };
  for (const ins of program) {
    if (Array.isArray(ins)) push(ins[0], BigInt(ins[1]));
    else if (ins.startsWith('@')) out.push(OPS.JUMPDEST as number);
    else if (ins.startsWith('>')) push(2, BigInt(labels.get(ins.slice(1)) ?? Number.NaN));
    else if (OPS[ins] !== undefined) out.push(OPS[ins]);
    else throw new Error(`unknown opcode ${ins}`);
  }
  return Uint8Array.from(out);
}

/** Storage key of a balance: `key = address | 1 << 160` (stack: [address] → [key]). */
const balanceKey: Instruction[] = [[1, 1], [1, 160], 'SHL', 'OR'];
const returnWord: Instruction[] = [[1, 0], 'MSTORE', [1, 32], [1, 0], 'RETURN'];

const runtime = assemble([
  [1, 0],
  'CALLDATALOAD',
  [1, 0xe0],
  'SHR',
  'DUP1',
  [4, 0xa9059cbb],
  'EQ',
  '>transfer',
  'JUMPI',
  'DUP1',
  [4, 0x70a08231],
  'EQ',
  '>balanceOf',
  'JUMPI',
  'DUP1',
  [4, 0x18160ddd],
  'EQ',
  '>totalSupply',
  'JUMPI',
  '@fail',
  [1, 0],
  'DUP1',
  'REVERT',
  '@balanceOf',
  [1, 4],
  'CALLDATALOAD',
  ...balanceKey,
  'SLOAD',
  ...returnWord,
  '@totalSupply',
  [1, 0],
  'SLOAD',
  ...returnWord,
  '@transfer',
  [1, 0x24],
  'CALLDATALOAD', // [amount]
  'CALLER',
  ...balanceKey, // [amount, fromKey]
  'DUP1',
  'SLOAD', // [amount, fromKey, fromBalance]
  'DUP1',
  'DUP4',
  'GT', // amount > fromBalance
  '>fail',
  'JUMPI',
  'DUP3',
  'SWAP1',
  'SUB',
  'SWAP1',
  'SSTORE', // [amount]
  [1, 4],
  'CALLDATALOAD',
  ...balanceKey, // [amount, toKey]
  'DUP1',
  'SLOAD',
  'DUP3',
  'ADD',
  'SWAP1',
  'SSTORE', // [amount]
  [1, 0],
  'MSTORE', // memory[0] = amount
  [1, 4],
  'CALLDATALOAD',
  'CALLER',
  [32, TRANSFER_TOPIC],
  [1, 32],
  [1, 0],
  'LOG3', // Transfer(caller, to, amount)
  [1, 1],
  ...returnWord,
]);

/** Creation code: constructor minting `supply` to the deployer, then the runtime above. */
export function erc20Bytecode(supply: bigint): Hex {
  const creation = (codeOffset: number): Instruction[] => [
    [32, supply],
    'DUP1',
    [1, 0],
    'SSTORE', // totalSupply
    'DUP1',
    'CALLER',
    ...balanceKey,
    'SSTORE', // balance[deployer]
    [1, 0],
    'MSTORE',
    'CALLER',
    [1, 0],
    [32, TRANSFER_TOPIC],
    [1, 32],
    [1, 0],
    'LOG3', // Transfer(0x0, deployer, supply)
    [2, runtime.length],
    [2, codeOffset],
    [1, 0],
    'CODECOPY',
    [2, runtime.length],
    [1, 0],
    'RETURN',
  ];
  const head = assemble(creation(0)).length;
  const code = new Uint8Array([...assemble(creation(head)), ...runtime]);
  return toHex(code);
}

/** ABI data of `transfer(to, amount)`. */
export function transferData(to: Hex, amount: bigint): Hex {
  return `0xa9059cbb${to.slice(2).toLowerCase().padStart(64, '0')}${amount.toString(16).padStart(64, '0')}`;
}

/** ABI data of `balanceOf(owner)`. */
export function balanceOfData(owner: Hex): Hex {
  return `0x70a08231${owner.slice(2).toLowerCase().padStart(64, '0')}`;
}
