import { type AbiEvent, decodeEventLog, encodeAbiParameters, encodeEventTopics, type Hex, parseAbiItem } from 'viem';
import { describe, expect, it } from 'vitest';
import { eventSpec } from './abi.ts';
import { createLogDecoder, type RawLog } from './decodeLog.ts';

/** Every static type the word readers cover, indexed and not, at the edges of their ranges. */
const STATIC = parseAbiItem(
  'event Static(address indexed who, int256 indexed delta, bytes4 indexed tag, uint256 big, int256 neg, uint8 small, int8 tiny, int48 mid, uint64 word, bool flag, bytes32 id, address to, bytes1 one)',
) as AbiEvent;
const spec = eventSpec('t', STATIC);
const decode = createLogDecoder([spec]);

function rawLog(topics: readonly Hex[], data: Hex): RawLog {
  return {
    address: '0x00000000000000000000000000000000000000AA',
    topics,
    data,
    blockNumber: '0x10',
    blockHash: `0x${'ab'.repeat(32)}`,
    transactionHash: `0x${'cd'.repeat(32)}`,
    transactionIndex: '0x1',
    logIndex: '0x2',
  };
}

const cases = [
  {
    who: '0xabcdef0123456789abcdef0123456789abcdef01',
    delta: -(2n ** 255n),
    tag: '0xDEADBEEF',
    big: 2n ** 256n - 1n,
    neg: -1n,
    small: 255,
    tiny: -128,
    mid: -(2 ** 47),
    word: 2n ** 64n - 1n,
    flag: true,
    id: `0x${'Ff'.repeat(32)}`,
    to: '0x0000000000000000000000000000000000000001',
    one: '0x7f',
  },
  {
    who: '0x0000000000000000000000000000000000000000',
    delta: 2n ** 255n - 1n,
    tag: '0x00000000',
    big: 0n,
    neg: -(2n ** 200n) + 7n,
    small: 0,
    tiny: 127,
    mid: 2 ** 47 - 1,
    word: 0n,
    flag: false,
    id: `0x${'00'.repeat(32)}`,
    to: '0xffffffffffffffffffffffffffffffffffffffff',
    one: '0x00',
  },
] as const;

const nonIndexed = STATIC.inputs.filter((p) => !(p as { indexed?: boolean }).indexed);

/** The topics and data a contract emitting `Static` with these arguments logs. */
function emitted(args: (typeof cases)[number]) {
  const topics = encodeEventTopics({
    abi: [STATIC],
    args: { who: args.who, delta: args.delta, tag: args.tag },
  } as never) as Hex[];
  const data = encodeAbiParameters(nonIndexed, nonIndexed.map((p) => args[p.name as keyof typeof args]) as never);
  return { topics, data };
}

describe('createLogDecoder', () => {
  it.each(cases.map((c, i) => [i, c] as const))(
    'behavior: static arguments read word by word equal viem decodeEventLog (case %i)',
    (_, args) => {
      const { topics, data } = emitted(args);
      const decoded = decode(1, rawLog(topics, data));
      expect(decoded.ok).toBe(true);
      const row = (decoded as { row: unknown[] }).row;
      const viem = decodeEventLog({ abi: [STATIC], data, topics: topics as never }) as {
        args: Record<string, unknown>;
      };
      // The same values viem gives, as columns: integers as bigint, addresses and bytes lowercase hex.
      const asColumn = (v: unknown) =>
        typeof v === 'string' ? v.toLowerCase() : typeof v === 'number' ? BigInt(v) : v;
      expect(row.slice(8)).toEqual(spec.columns.map((c) => asColumn(viem.args[c.param.name as string])));
      expect(row.slice(0, 8)).toEqual([
        1,
        16,
        `0x${'ab'.repeat(32)}`,
        2,
        `0x${'cd'.repeat(32)}`,
        1,
        '0x00000000000000000000000000000000000000aa',
        null,
      ]);
    },
  );

  it('behavior: a bool word other than 0 or 1 is a reject with viem’s reason, not a silent true', () => {
    const { topics, data } = emitted(cases[0]);
    const flagAt = nonIndexed.findIndex((p) => p.name === 'flag');
    const bad = `${data.slice(0, 2 + flagAt * 64)}${'0'.repeat(63)}2${data.slice(66 + flagAt * 64)}` as Hex;
    const decoded = decode(1, rawLog(topics, bad));
    expect(decoded).toMatchObject({ ok: false, reason: expect.stringMatching(/^Static: cannot decode by the ABI: /) });
    expect(() => decodeEventLog({ abi: [STATIC], data: bad, topics: topics as never })).toThrow();
  });

  it('behavior: data shorter than the arguments is a reject (as viem refuses it), not a row of undefined', () => {
    const { topics } = emitted(cases[0]);
    const decoded = decode(1, rawLog(topics, `0x${'00'.repeat(32 * 3)}`));
    expect(decoded.ok).toBe(false);
  });

  it('behavior: the log’s blockTimestamp fills block_time', () => {
    const transfer = eventSpec(
      't',
      parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)'),
    );
    const log = {
      ...rawLog(
        [transfer.selector, `0x${'0'.repeat(63)}1`, `0x${'0'.repeat(63)}2`],
        encodeAbiParameters([{ type: 'uint256' }], [5n]),
      ),
      blockTimestamp: '0x6553f100',
    };
    const decoded = createLogDecoder([transfer])(1, log);
    expect(decoded).toMatchObject({ ok: true });
    const row = (decoded as { row: unknown[] }).row;
    expect(row[7]).toEqual(new Date(0x6553f100 * 1000));
    expect(row.slice(8)).toEqual([`0x${'0'.repeat(39)}1`, `0x${'0'.repeat(39)}2`, 5n]);
  });
});
