import type { AbiEvent, AbiParameter } from 'viem';
import { parseAbiItem, toEventSelector } from 'viem/utils';
import { EtlError } from '../../../internal/errors.ts';

/** One decoded argument of an event, as a column of the event's staging table. */
export interface EventColumn {
  /** The column name: the argument's name in snake_case (`arg<i>` when unnamed). */
  name: string;
  param: AbiParameter;
  indexed: boolean;
  /** The column's logical type (db/columnTypes.ts names each engine's): see `sqlTypeOf`. */
  sqlType: EventColumnType;
}

/** An event of a contract set, with the table it loads into. */
export interface EventSpec {
  /** The contract set's name (`erc20`, `cow`). */
  set: string;
  event: AbiEvent;
  /** topic0: keccak256 of the canonical signature. */
  selector: `0x${string}`;
  /** Unqualified staging table: `evm_event_<set>_<event>`. */
  table: string;
  columns: readonly EventColumn[];
}

/** The columns every event table has before the decoded arguments, in load order. */
export const BASE_COLUMNS = [
  'chain_id',
  'block_number',
  'block_hash',
  'log_index',
  'tx_hash',
  'tx_index',
  'emitter',
  'block_time',
] as const;
export const EVENT_KEY = ['chain_id', 'block_hash', 'log_index'] as const;
const RESERVED = new Set<string>([...BASE_COLUMNS, 'loaded_at']);

const snake = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();

/** The logical column types of decoded arguments (a subset of db/columnTypes.ts's, which maps them per engine). */
export type EventColumnType = 'uint256' | 'int256' | 'boolean' | 'jsonb' | 'text';

/**
 * The column type of an argument: uint → uint256, int → int256 (exact on every engine: numeric(78,0), or canonical
 * decimal text on MySQL), address → text (lowercase hex), bool → boolean, bytes/bytesN → text (hex), string → text,
 * arrays and tuples → jsonb. An indexed argument of a dynamic type is only its keccak256 in the log (a topic): text.
 */
export function sqlTypeOf(param: AbiParameter, indexed: boolean): EventColumnType {
  const { type } = param;
  const dynamic = type === 'string' || type === 'bytes' || type.endsWith(']') || type.startsWith('tuple');
  if (indexed && dynamic) return 'text';
  if (type.endsWith(']') || type.startsWith('tuple')) return 'jsonb';
  if (/^uint\d*$/.test(type)) return 'uint256';
  if (/^int\d*$/.test(type)) return 'int256';
  if (type === 'bool') return 'boolean';
  return 'text';
}

/** An event from a human-readable signature (`event Transfer(address indexed from, …)`) or a JSON ABI item. */
export function parseEvent(item: string | AbiEvent): AbiEvent {
  if (typeof item !== 'string') return item;
  const text = item.trim().startsWith('event ') ? item.trim() : `event ${item.trim()}`;
  let parsed: unknown;
  try {
    parsed = parseAbiItem(text);
  } catch (error) {
    throw new EtlError('ETL_CONFIG_INVALID', `Invalid event signature "${item}": ${(error as Error).message}`);
  }
  if ((parsed as { type?: string }).type !== 'event') {
    throw new EtlError('ETL_CONFIG_INVALID', `"${item}" is not an event signature`);
  }
  return parsed as AbiEvent;
}

/** The table and columns of one event of a set. Anonymous events have no topic0 to filter on: refused. */
export function eventSpec(set: string, event: AbiEvent): EventSpec {
  if (event.anonymous) {
    throw new EtlError('ETL_CONFIG_INVALID', `Contract set "${set}": anonymous event ${event.name} has no topic0`);
  }
  const used = new Set<string>();
  const columns = event.inputs.map((param, i): EventColumn => {
    let name = param.name ? snake(param.name) : `arg${i}`;
    if (!name || RESERVED.has(name) || used.has(name) || /^\d/.test(name)) name = `arg_${name || i}`;
    used.add(name);
    const indexed = Boolean((param as { indexed?: boolean }).indexed);
    return { name, param, indexed, sqlType: sqlTypeOf(param, indexed) };
  });
  // PostgreSQL identifiers end at 63 bytes.
  const table = `evm_event_${snake(set)}_${snake(event.name)}`.slice(0, 63);
  return { set, event, selector: toEventSelector(event), table, columns };
}

const quote = (name: string) => `"${name}"`;

/** Every column of an event table in load order (quoted where the argument's name needs it). */
export function eventTableColumns(spec: EventSpec): string[] {
  return [...BASE_COLUMNS, ...spec.columns.map((c) => quote(c.name))];
}
