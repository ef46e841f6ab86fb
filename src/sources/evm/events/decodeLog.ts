import { type AbiParameter, decodeAbiParameters, type Hex } from 'viem';
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

interface CompiledEvent {
  spec: EventSpec;
  /** Per column: the topic it comes from (1…3), or -1 when it is in `data`; and whether a topic holds only a hash. */
  sources: { topic: number; hashOnly: boolean; param: AbiParameter }[];
  dataParams: AbiParameter[];
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
        ? { topic: ++topic, hashOnly: isDynamic(c.param.type), param: c.param }
        : { topic: -1, hashOnly: false, param: c.param },
    );
    byTopic.set(spec.selector, {
      spec,
      sources,
      dataParams: spec.columns.filter((c) => !c.indexed).map((c) => c.param),
      topicCount: topic + 1,
    });
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
      const data = compiled.dataParams.length > 0 ? decodeAbiParameters(compiled.dataParams, log.data as Hex) : [];
      let d = 0;
      for (const source of compiled.sources) {
        if (source.topic < 0) {
          row.push(columnValue(source.param, data[d++]));
        } else {
          const topic = (log.topics[source.topic] as string).toLowerCase();
          row.push(
            source.hashOnly ? topic : columnValue(source.param, decodeAbiParameters([source.param], topic as Hex)[0]),
          );
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
