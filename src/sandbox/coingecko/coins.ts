import { hash32, unit } from './random.ts';

/** How a coin's price moves: with the shared market cycle, or pinned near 1 USD. */
export type PriceStyle = 'market' | 'stable';

/** Everything the emulator knows about one coin; prices and supplies are derived from it. */
export interface CoinSpec {
  id: string;
  symbol: string;
  name: string;
  /** Number in the CoinGecko image URL. */
  imageId: number;
  style: PriceStyle;
  /** Another coin whose price this one has (weth → ethereum). */
  priceOf?: string;
  /** USD price around which the series oscillates. */
  basePrice: number;
  /** Largest log-swing of the coin's own component, on top of the shared market cycle. */
  ownAmplitude: number;
  circulatingSupply: number;
  totalSupply: number | null;
  maxSupply: number | null;
  /** Whether a fully diluted valuation is published when there is no max supply. */
  fdvFromTotal: boolean;
  /** Typical 24 h volume as a fraction of market cap. */
  turnover: number;
  /** ms; chart points before this instant do not exist. */
  listedAt: number;
  /** USD price at launch; `null` → `roi: null`. */
  icoPrice: number | null;
  platforms: Record<string, string>;
}

/** The catalog served by /coins/list and /coins/markets. */
export interface Catalog {
  coins: CoinSpec[];
  byId: Map<string, CoinSpec>;
}

const NAMED: CoinSpec[] = [
  {
    id: 'bitcoin',
    symbol: 'btc',
    name: 'Bitcoin',
    imageId: 1,
    style: 'market',
    basePrice: 90_000,
    ownAmplitude: 0.1,
    circulatingSupply: 19_800_000,
    totalSupply: 21_000_000,
    maxSupply: 21_000_000,
    fdvFromTotal: true,
    turnover: 0.025,
    listedAt: Date.UTC(2013, 3, 28),
    icoPrice: null,
    platforms: {},
  },
  {
    id: 'ethereum',
    symbol: 'eth',
    name: 'Ethereum',
    imageId: 279,
    style: 'market',
    basePrice: 3_000,
    ownAmplitude: 0.15,
    circulatingSupply: 120_700_000,
    totalSupply: 120_700_000,
    maxSupply: null,
    fdvFromTotal: true,
    turnover: 0.05,
    listedAt: Date.UTC(2015, 7, 7),
    icoPrice: 0.311,
    platforms: {},
  },
  {
    id: 'usd-coin',
    symbol: 'usdc',
    name: 'USDC',
    imageId: 6319,
    style: 'stable',
    basePrice: 1,
    ownAmplitude: 0.0008,
    circulatingSupply: 60_000_000_000,
    totalSupply: 60_000_000_000,
    maxSupply: null,
    fdvFromTotal: true,
    turnover: 0.12,
    listedAt: Date.UTC(2018, 9, 8),
    icoPrice: null,
    platforms: { ethereum: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48' },
  },
  {
    id: 'tether',
    symbol: 'usdt',
    name: 'Tether',
    imageId: 325,
    style: 'stable',
    basePrice: 1,
    ownAmplitude: 0.0008,
    circulatingSupply: 140_000_000_000,
    totalSupply: 140_000_000_000,
    maxSupply: null,
    fdvFromTotal: true,
    turnover: 0.45,
    listedAt: Date.UTC(2015, 1, 25),
    icoPrice: null,
    platforms: { ethereum: '0xdac17f958d2ee523a2206206994597c13d831ec7' },
  },
  {
    id: 'weth',
    symbol: 'weth',
    name: 'WETH',
    imageId: 2518,
    style: 'market',
    priceOf: 'ethereum',
    basePrice: 3_000,
    ownAmplitude: 0.15,
    circulatingSupply: 3_000_000,
    totalSupply: 3_000_000,
    maxSupply: null,
    fdvFromTotal: true,
    turnover: 0.03,
    listedAt: Date.UTC(2018, 0, 10),
    icoPrice: null,
    platforms: { ethereum: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2' },
  },
];

// NOTE: synthetic market caps fall by a constant ratio per rank and each coin's own swing stays below a
// quarter of that gap's log, so neighbours never cross: ranks (and so /coins/markets pages) are the same at
// every instant, and a paginating client can never skip or repeat a coin, unless a test moves one between
// requests (`Fault.thenMove`), as the real market-cap order moves.
const SYNTH_TOP_CAP = 5e9;
const SYNTH_CAP_RATIO = 1.015;
const SYNTH_OWN_AMPLITUDE = Math.log(SYNTH_CAP_RATIO) * 0.4;
const SYNTH_PRICE_LOG10 = { min: -4, max: Math.log10(500) };
const SYNTH_LISTED = { from: Date.UTC(2017, 0, 1), span: 7 * 365 * 86_400_000 };

/** `synth-coin-0005` for index 5; the index is the coin's place in /coins/list. */
export function syntheticId(index: number): string {
  return `synth-coin-${String(index).padStart(4, '0')}`;
}

function fakeAddress(id: string, chain: string): string {
  let hex = '';
  for (let i = 0; i < 5; i++) hex += hash32(`${chain}|${id}|${i}`).toString(16).padStart(8, '0');
  return `0x${hex}`;
}

function syntheticSpec(id: string, symbol: string, name: string, marketCap: number): CoinSpec {
  const r = (what: string) => unit('coin', id, what);
  const basePrice = 10 ** (SYNTH_PRICE_LOG10.min + r('price') * (SYNTH_PRICE_LOG10.max - SYNTH_PRICE_LOG10.min));
  const circulatingSupply = Number((marketCap / basePrice).toPrecision(12));
  const totalSupply = Math.round(circulatingSupply * (1 + r('total') * 0.6));
  const maxSupply = r('max') < 0.35 ? null : Math.round(totalSupply * (1 + r('max-extra')));
  const platforms: Record<string, string> = {};
  if (r('erc20') < 0.7) platforms.ethereum = fakeAddress(id, 'ethereum');
  if (r('arbitrum') < 0.3) platforms['arbitrum-one'] = fakeAddress(id, 'arbitrum-one');
  return {
    id,
    symbol,
    name,
    imageId: 100_000 + (hash32(id) % 900_000),
    style: 'market',
    basePrice,
    ownAmplitude: SYNTH_OWN_AMPLITUDE,
    circulatingSupply,
    totalSupply,
    maxSupply,
    fdvFromTotal: r('fdv') < 0.5,
    turnover: 0.005 + r('turnover') * 0.2,
    listedAt: SYNTH_LISTED.from + Math.floor(r('listed') * SYNTH_LISTED.span),
    icoPrice: r('roi') < 0.2 ? basePrice * 10 ** (-2 + r('ico') * 2.5) : null,
    platforms,
  };
}

const namedById = new Map(NAMED.map((coin) => [coin.id, coin]));

/** The spec of the coin at `index` in /coins/list: the named coins first, then `synth-coin-NNNN`. */
export function coinAt(index: number): CoinSpec {
  const named = NAMED[index];
  if (named) return named;
  const cap = SYNTH_TOP_CAP / SYNTH_CAP_RATIO ** (index - NAMED.length);
  return syntheticSpec(syntheticId(index), `sc${index}`, `Synthetic Coin ${index}`, cap);
}

/**
 * The spec of any coin id. Catalog ids get their catalog spec; any other id gets a stable made-up one, so
 * other emulators can price tokens this catalog does not list.
 */
export function coinSpec(id: string): CoinSpec {
  const named = namedById.get(id);
  if (named) return named;
  const match = /^synth-coin-(\d+)$/.exec(id);
  const index = match ? Number(match[1]) : Number.NaN;
  if (index >= NAMED.length && syntheticId(index) === id) return coinAt(index);
  return syntheticSpec(id, id.slice(0, 6), id, 10 ** (5 + unit('coin', id, 'cap') * 4));
}

/** The first `count` coins of the list (bitcoin, ethereum, usd-coin, tether, weth, synth-coin-0005, …). */
export function createCatalog(count: number): Catalog {
  const coins = Array.from({ length: Math.max(0, count) }, (_, index) => coinAt(index));
  return { coins, byId: new Map(coins.map((coin) => [coin.id, coin])) };
}
