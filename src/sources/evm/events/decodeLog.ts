import type { AbiParameter, Hex } from 'viem';
import { decodeAbiParameters } from 'viem/utils';
import type { EventSpec } from './abi.ts';

/** A log as `eth_getLogs` returns it (quantities hex); `blockTimestamp` is sent by newer nodes (geth 1.16, anvil). */
export interface RawLog {
  address: string;
  topics: readonly string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  blockTimestamp?: string | null;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed?: boolean;
}

export type Decoded = { ok: true; spec: EventSpec; row: unknown[] } | { ok: false; reason: string };

/** Arrays and tuples as JSON text: integers as decimal strings (exact), addresses and bytes lowercase hex. */
function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return value.startsWith('0x') ? value.toLowerCase() : value;
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}

/** One decoded argument → its column value (see `sqlTypeOf`). */
function columnValue(param: AbiParameter, value: unknown): unknown {
  const { type } = param;
  if (type.endsWith(']') || type.startsWith('tuple')) return JSON.stringify(toJson(value));
  if (typeof value === 'bigint' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return BigInt(value);
  if (type === 'string') {
    // PostgreSQL text cannot hold NUL; such a string is a reject, not a silent truncation.
    if ((value as string).includes('\0')) throw new Error(`argument ${param.name ?? ''} (string) contains a NUL byte`);
    return value;
  }
  return (value as string).toLowerCase();
}

/** Reads one 32-byte word (64 hex digits, no 0x) as the column value of a static type; undefined: not one. */
type WordReader = (word: string) => unknown;

const TWO_256 = 1n << 256n;
const MAX_INT256 = (1n << 255n) - 1n;
const ZERO_WORD = '0'.repeat(64);
const ONE_WORD = `${'0'.repeat(63)}1`;
const HEX = /^0x(?:[0-9a-fA-F]{64})*$/;

/**
 * The word readers of the static types, written to give exactly what viem's `decodeAbiParameters` gives (its
 * `decodeNumber`, `decodeAddress`, `decodeBool`, `decodeBytes`) then `columnValue` makes of it, without the
 * byte-array round trip — most of the decoding time of a Transfer. Anything they do not cover (or a word they
 * refuse: a bool other than 0 or 1) goes through viem, which also words the error.
 */
function wordReader(type: string): WordReader | undefined {
  const int = /^(u?)int(\d*)$/.exec(type);
  if (int) {
    const signed = int[1] === '';
    const bits = Number(int[2] || 256);
    return (word) => {
      let value = BigInt(`0x${word}`);
      // viem reads the whole word, signed by its top bit, and returns a number below 49 bits.
      if (signed && value > MAX_INT256) value -= TWO_256;
      return bits > 48 ? value : BigInt(Number(value));
    };
  }
  if (type === 'address') return (word) => `0x${word.slice(24).toLowerCase()}`;
  if (type === 'bool') {
    return (word) => (word === ZERO_WORD ? false : word === ONE_WORD ? true : undefined);
  }
  const bytes = /^bytes(\d+)$/.exec(type);
  if (bytes) {
    const size = Number(bytes[1]);
    return (word) => `0x${word.slice(0, size * 2).toLowerCase()}`;
  }
  return undefined;
}

interface CompiledEvent {
  spec: EventSpec;
  /** Per column: the topic it comes from (1…3), or -1 when it is in `data`; and whether a topic holds only a hash. */
  sources: { topic: number; hashOnly: boolean; param: AbiParameter; read?: WordReader }[];
  dataParams: AbiParameter[];
  /** Every argument in `data` is static and has a word reader: `data` is read word by word. */
  dataReaders?: WordReader[];
  topicCount: number;
}

const isDynamic = (type: string) =>
  type === 'string' || type === 'bytes' || type.endsWith(']') || type.startsWith('tuple');

/**
 * A decoder for the events of one or more sets, keyed by topic0. Decoding is viem's ABI decoder
 * (`decodeAbiParameters`) applied as `decodeEventLog` does — indexed static arguments from their topic, dynamic
 * ones kept as the topic's hash, the rest from `data` — with the event's layout worked out once rather than per
 * log (`decodeEventLog` hashes every ABI item's signature on each call, half its time). The test compares both.
 */
export function createLogDecoder(specs: readonly EventSpec[]) {
  const byTopic = new Map<string, CompiledEvent>();
  for (const spec of specs) {
    let topic = 0;
    const sources = spec.columns.map((c) =>
      c.indexed
        ? { topic: ++topic, hashOnly: isDynamic(c.param.type), param: c.param, read: wordReader(c.param.type) }
        : { topic: -1, hashOnly: false, param: c.param },
    );
    const dataParams = spec.columns.filter((c) => !c.indexed).map((c) => c.param);
    const readers = dataParams.map((p) => wordReader(p.type));
    byTopic.set(spec.selector, {
      spec,
      sources,
      dataParams,
      dataReaders: readers.every((r) => r !== undefined) ? (readers as WordReader[]) : undefined,
      topicCount: topic + 1,
    });
  }

  /** `data` of static arguments, word by word; undefined when a word is refused or `data` is not whole words. */
  function readData(compiled: CompiledEvent, data: string): unknown[] | undefined {
    const readers = compiled.dataReaders as WordReader[];
    if (data.length < 2 + readers.length * 64 || !HEX.test(data)) return undefined;
    const out: unknown[] = new Array(readers.length);
    for (let i = 0; i < readers.length; i++) {
      const value = (readers[i] as WordReader)(data.slice(2 + i * 64, 66 + i * 64));
      if (value === undefined) return undefined;
      out[i] = value;
    }
    return out;
  }

  /** An indexed static argument from its topic; viem's decoder when the word reader refuses it. */
  function readTopic(source: CompiledEvent['sources'][number], topic: string): unknown {
    const value = topic.length === 66 && HEX.test(topic) ? source.read?.(topic.slice(2)) : undefined;
    if (value !== undefined) return value;
    return columnValue(source.param, decodeAbiParameters([source.param], topic as Hex)[0]);
  }

  return function decode(chainId: number, log: RawLog): Decoded {
    const topic0 = log.topics[0]?.toLowerCase();
    const compiled = topic0 === undefined ? undefined : byTopic.get(topic0);
    if (!compiled) return { ok: false, reason: `no event of the ABI has topic0 ${topic0 ?? '(none)'}` };
    const { spec } = compiled;
    if (log.topics.length !== compiled.topicCount) {
      return {
        ok: false,
        reason: `${spec.event.name}: ${log.topics.length - 1} indexed topics, the ABI declares ${compiled.topicCount - 1} (another event with the same signature, or a contract whose ABI changed)`,
      };
    }
    const row: unknown[] = [
      chainId,
      Number(log.blockNumber),
      log.blockHash.toLowerCase(),
      Number(log.logIndex),
      log.transactionHash.toLowerCase(),
      Number(log.transactionIndex),
      log.address.toLowerCase(),
      log.blockTimestamp ? new Date(Number(log.blockTimestamp) * 1000) : null,
    ];
    try {
      // Column values straight from the words where every data argument is static (Transfer, Swap, Trade's
      // amounts…); else viem's decoder over the whole of `data` (dynamic arguments are found by their offsets).
      const words = compiled.dataReaders && compiled.dataParams.length > 0 ? readData(compiled, log.data) : undefined;
      const data =
        words ??
        (compiled.dataParams.length > 0
          ? decodeAbiParameters(compiled.dataParams, log.data as Hex).map((v, i) =>
              columnValue(compiled.dataParams[i] as AbiParameter, v),
            )
          : []);
      let d = 0;
      for (const source of compiled.sources) {
        if (source.topic < 0) {
          row.push(data[d++]);
        } else {
          const topic = (log.topics[source.topic] as string).toLowerCase();
          row.push(source.hashOnly ? topic : readTopic(source, topic));
        }
      }
    } catch (error) {
      return { ok: false, reason: `${spec.event.name}: cannot decode by the ABI: ${firstLine(error)}` };
    }
    return { ok: true, spec, row };
  };
}

function firstLine(error: unknown): string {
  const e = error as { shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(error)).split('\n')[0] as string;
}
