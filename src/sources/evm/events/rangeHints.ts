/**
 * What providers say when an `eth_getLogs` range is too wide or returns too much, and what each message lets
 * us do: take the range they suggest, respect the cap they name, or halve. One row per wording; the test
 * quotes each real message with its source (docs/evm-events.md lists them).
 */
export type RangeHint =
  /** The provider named a range that works: ask for that many blocks. */
  | { kind: 'suggested'; blocks: number; provider: string }
  /** The provider caps the span of a request: never ask for more. */
  | { kind: 'cap'; blocks: number; provider: string }
  /** Too many results or too large an answer, no number given: halve. */
  | { kind: 'halve'; provider: string };

interface HintRule {
  provider: string;
  pattern: RegExp;
  hint(match: RegExpMatchArray): RangeHint;
}

const int = (text: string | undefined) => Number((text ?? '').replaceAll(',', ''));
const span = (from: string | undefined, to: string | undefined) => Number(BigInt(to ?? '0') - BigInt(from ?? '0')) + 1;

/** First match wins: rules that carry numbers come before the bare wordings they contain. */
export const RANGE_HINT_RULES: readonly HintRule[] = [
  {
    // Alchemy: "You can make eth_getLogs requests with up to a 500 block range. Based on your parameters, this block
    // range should work: [0x123c9b2, 0x123cba5]": the cap, which also bounds the span's later growth (the
    // suggested range is that cap from the request's start).
    provider: 'Alchemy',
    pattern: /eth_getLogs requests with up to a ([\d,]+) block range/i,
    hint: (m) => ({ kind: 'cap', blocks: int(m[1]), provider: 'Alchemy' }),
  },
  {
    // A suggested range without a cap: Alchemy's response-size variant and zkSync-style "Try with this block
    // range [0x…, 0x…]" (no real message of this form found yet; see the test).
    provider: 'suggested range',
    pattern: /block range(?: should work:)? \[(0x[0-9a-f]+),\s*(0x[0-9a-f]+)\]/i,
    hint: (m) => ({ kind: 'suggested', blocks: span(m[1], m[2]), provider: 'suggested range' }),
  },
  {
    // QuickNode: "eth_getLogs is limited to a 10,000 range" (-32614, HTTP 413).
    provider: 'QuickNode',
    pattern: /eth_getLogs is limited to a ([\d,]+) range/i,
    hint: (m) => ({ kind: 'cap', blocks: int(m[1]), provider: 'QuickNode' }),
  },
  {
    // Infura (live API): "range 1000000 exceeds limit of 10000" (-32602).
    provider: 'Infura',
    pattern: /range \d+ exceeds limit of ([\d,]+)/i,
    hint: (m) => ({ kind: 'cap', blocks: int(m[1]), provider: 'Infura' }),
  },
  {
    // Frontier nodes (Moonbeam, Chainstack's Moonbeam endpoints): "block range is too wide (maximum 1024)".
    provider: 'Frontier / Chainstack',
    pattern: /block range is too wide \(maximum ([\d,]+)\)/i,
    hint: (m) => ({ kind: 'cap', blocks: int(m[1]), provider: 'Frontier / Chainstack' }),
  },
  {
    // reth: "query exceeds max block range 5000" (-32602).
    provider: 'reth',
    pattern: /exceeds max block range ([\d,]+)/i,
    hint: (m) => ({ kind: 'cap', blocks: int(m[1]), provider: 'reth' }),
  },
  {
    // Erigon: "query block range exceeds server limit, narrow your filter: 5" (the configured range limit).
    provider: 'Erigon',
    pattern: /block range exceeds server limit, narrow your filter: ([\d,]+)/i,
    hint: (m) => ({ kind: 'cap', blocks: int(m[1]), provider: 'Erigon' }),
  },
  {
    // Tenderly: "range 9009594 is bigger than range limit 2000" (-32602, in the error's data).
    provider: 'Tenderly',
    pattern: /range \d+ is bigger than range limit ([\d,]+)/i,
    hint: (m) => ({ kind: 'cap', blocks: int(m[1]), provider: 'Tenderly' }),
  },
  {
    // BNB Chain and geth forks: "exceed maximum block range: 5000".
    provider: 'BNB Chain',
    pattern: /exceed(?:s|ed)? maximum block range:? ([\d,]+)/i,
    hint: (m) => ({ kind: 'cap', blocks: int(m[1]), provider: 'BNB Chain' }),
  },
  {
    // Morph / op-geth forks: "block range is larger than max block range, block range = 5120, max block range = 5000".
    provider: 'op-geth forks',
    pattern: /max block range = ([\d,]+)/i,
    hint: (m) => ({ kind: 'cap', blocks: int(m[1]), provider: 'op-geth forks' }),
  },
  {
    // Alchemy: "Log response size exceeded. Please reduce query block range."
    provider: 'Alchemy',
    pattern: /log response size exceeded/i,
    hint: () => ({ kind: 'halve', provider: 'Alchemy' }),
  },
  {
    // Infura, Erigon, Nethermind: "query returned more than 10000 results".
    provider: 'Infura',
    pattern: /returned more than [\d,]+ results/i,
    hint: () => ({ kind: 'halve', provider: 'Infura' }),
  },
  {
    // Chainstack: "Block range limit exceeded. See more details at https://docs.chainstack.com/docs/limits#evm-range-limits"
    // (the limit depends on the plan and is not in the message).
    provider: 'Chainstack',
    pattern: /block range limit exceeded/i,
    hint: () => ({ kind: 'halve', provider: 'Chainstack' }),
  },
  {
    // Generic wordings of range and size caps (Ankr "block range is too wide", Candle "block range too high",
    // geth "response too large").
    provider: 'generic',
    pattern:
      /block range (?:is )?too (?:wide|large|high)|range too large|response (?:is )?too large|too many (?:results|logs)/i,
    hint: () => ({ kind: 'halve', provider: 'generic' }),
  },
];

/** The hint in a provider's error text, or undefined when the text is not about the range or the answer's size. */
export function readRangeHint(said: string): RangeHint | undefined {
  for (const rule of RANGE_HINT_RULES) {
    const match = said.match(rule.pattern);
    if (match) {
      const hint = rule.hint(match);
      if (hint.kind === 'halve' || (Number.isFinite(hint.blocks) && hint.blocks >= 1)) return hint;
    }
  }
  return undefined;
}
