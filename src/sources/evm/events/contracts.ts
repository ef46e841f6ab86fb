import { readFileSync } from 'node:fs';
import type { AbiEvent } from 'viem';
import { z } from 'zod';
import { EtlError } from '../../../internal/errors.ts';
import { type EventSpec, eventSpec, parseEvent } from './abi.ts';

/** A block number, or a UTC date (`2024-01-31`) meaning that day's first block. */
export type StartRef = number | { date: string };

/**
 * A set of contracts whose events are loaded: each event of its ABI into its own table
 * (`staging.evm_event_<name>_<event>`), one watermark per set and chain (`evm.<chainId>.events.<name>`).
 */
export interface ContractSet {
  /** Lowercase, `[a-z0-9_]`: part of table and stream names. */
  name: string;
  /** Only this chain (default: every chain of `EVM_RPC_URLS`). */
  chainId?: number;
  /** Emitters; none: every contract that emits the events. */
  addresses?: readonly string[];
  /** Human-readable event signatures or JSON ABI items (non-event items are ignored). */
  abi: readonly (string | AbiEvent)[];
  /** Where loading starts when nothing is loaded yet; default `EVM_START_BLOCK` / `EVM_START_DATE`, else the head. */
  startBlock?: StartRef;
  /** Last block to load; default: follow the head. */
  endBlock?: number;
  /**
   * Fill `block_time` of every event: from the log's `blockTimestamp` when the node sends it (geth 1.16, anvil),
   * else from the block's header, one more request per block with events. Default false: `block_time` is
   * then the log's `blockTimestamp` or NULL, and no header is fetched.
   */
  blockTimes?: boolean;
}

/** Identity function that gives a contract set its types. */
export function defineContracts(set: ContractSet): ContractSet {
  return set;
}

/** A token of the token list: its symbol and decimals turn raw amounts into units. */
export interface Token {
  symbol: string;
  address: string;
  decimals: number;
}

/** Ethereum mainnet WETH and USDC: the default `EVM_EVENT_TOKENS`. */
export const DEFAULT_TOKENS =
  'WETH:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2:18,USDC:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48:6';
/** CoW Protocol's GPv2Settlement on Ethereum mainnet (the same address on its other chains). */
export const COW_SETTLEMENT = '0x9008d19f58aabd9ed0d60971565aa8510560ab41';

export const TRANSFER_EVENT = 'event Transfer(address indexed from, address indexed to, uint256 value)';
/** GPv2Settlement's Trade event. */
export const COW_TRADE_EVENT =
  'event Trade(address indexed owner, address sellToken, address buyToken, uint256 sellAmount, uint256 buyAmount, uint256 feeAmount, bytes orderUid)';

/** The shipped sets: ERC-20 `Transfer` of the token list, and CoW Protocol's `Trade`. */
export function builtInSets(tokens: readonly Token[], settlement: string): Record<string, ContractSet> {
  return {
    erc20: defineContracts({ name: 'erc20', addresses: tokens.map((t) => t.address), abi: [TRANSFER_EVENT] }),
    cow: defineContracts({ name: 'cow', addresses: [settlement], abi: [COW_TRADE_EVENT] }),
  };
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte address');
const fileSchema = z.array(
  z.object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a lowercase name such as uniswap_v3'),
    chainId: z.number().int().positive().optional(),
    addresses: z.array(address).optional(),
    abi: z.union([z.string(), z.array(z.union([z.string(), z.looseObject({ type: z.string() })]))]),
    startBlock: z.union([z.number().int().nonnegative(), z.iso.date().transform((date) => ({ date }))]).optional(),
    endBlock: z.number().int().nonnegative().optional(),
    blockTimes: z.boolean().optional(),
  }),
);

/**
 * Reads contract sets from a JSON file (`EVM_EVENTS_FILE`), for users who do not write TypeScript: an array of
 * `{ name, chainId?, addresses?, abi, startBlock?, endBlock?, blockTimes? }`, `abi` being event signatures, a JSON ABI, or
 * the path of a JSON ABI file (relative to the contracts file).
 */
export function readContractsFile(path: string): ContractSet[] {
  const read = (file: string) => {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new EtlError('ETL_CONFIG_INVALID', `EVM_EVENTS_FILE: cannot read ${file}: ${(error as Error).message}`);
    }
  };
  const parsed = fileSchema.safeParse(read(path));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new EtlError('ETL_CONFIG_INVALID', `EVM_EVENTS_FILE ${path}:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data.map((set) => {
    const abi = typeof set.abi === 'string' ? read(new URL(set.abi, `file://${path}`).pathname) : set.abi;
    const events = (abi as unknown[]).filter(
      (item) => typeof item === 'string' || (item as { type?: string }).type === 'event',
    ) as (string | AbiEvent)[];
    return { ...set, abi: events };
  });
}

/** The event specs of a set, checked: at least one event, no two tables of one name. */
export function specsOf(set: ContractSet): EventSpec[] {
  const specs = set.abi.map((item) => eventSpec(set.name, parseEvent(item)));
  if (specs.length === 0) throw new EtlError('ETL_CONFIG_INVALID', `Contract set "${set.name}" declares no event`);
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.table)) {
      throw new EtlError(
        'ETL_CONFIG_INVALID',
        `Contract set "${set.name}": two events load into ${spec.table} (overloaded ${spec.event.name}): put them in separate sets`,
      );
    }
    seen.add(spec.table);
  }
  return specs;
}

/** `SYMBOL:address:decimals` entries of `EVM_EVENT_TOKENS`. */
export function parseTokens(entries: readonly string[]): Token[] {
  return entries.map((entry) => {
    const [symbol, addr, decimals] = entry.split(':');
    if (!symbol || !addr || !/^0x[0-9a-fA-F]{40}$/.test(addr) || !/^\d+$/.test(decimals ?? '')) {
      throw new EtlError(
        'ETL_CONFIG_INVALID',
        `Invalid configuration:\n  EVM_EVENT_TOKENS (got "${entry}"): expected SYMBOL:0x<address>:<decimals> such as USDC:0xa0b8…eb48:6`,
      );
    }
    return { symbol, address: addr.toLowerCase(), decimals: Number(decimals) };
  });
}
