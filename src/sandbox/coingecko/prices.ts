import { type CoinSpec, coinSpec } from './coins.ts';
import { unit } from './random.ts';

/** Seed used when none is given, here and by the emulator. */
export const DEFAULT_SEED = 42;

const DAY_MS = 86_400_000;
/** Largest log-swing of the market cycle shared by every non-stable coin (×0.7 … ×1.42). */
const MARKET_AMPLITUDE = 0.35;
// Periods in days, from multi-year cycles down to ~13 minutes so 5-minutely charts still move. Weights grow
// like period^0.35: long waves dominate, short ones add texture, as in a random walk.
const MARKET_PERIODS = [1100, 365, 120, 45, 14, 5, 1.5, 0.4, 0.12, 0.03, 0.009];
const OWN_PERIODS = [400, 90, 21, 6, 1, 0.2, 0.05];
const VOLUME_PERIODS = [30, 7, 1, 0.25, 0.04];
const VOLUME_AMPLITUDE = 0.6;

interface Wave {
  omega: number;
  phase: number;
  weight: number;
}

// NOTE: a memo of a pure function (one entry per seed and coin), not shared state.
const waveCache = new Map<string, Wave[]>();

/** Sines with seeded phases and jittered periods; weights sum to 1 so their sum stays within [-1, 1]. */
function waves(periodsDays: number[], seed: number, key: string): Wave[] {
  const cacheKey = `${seed}|${key}`;
  const cached = waveCache.get(cacheKey);
  if (cached) return cached;
  const total = periodsDays.reduce((sum, days) => sum + days ** 0.35, 0);
  const built = periodsDays.map((days, k) => ({
    omega: (2 * Math.PI) / (days * DAY_MS * (0.8 + 0.4 * unit(seed, key, k, 'period'))),
    phase: 2 * Math.PI * unit(seed, key, k, 'phase'),
    weight: days ** 0.35 / total,
  }));
  waveCache.set(cacheKey, built);
  return built;
}

function oscillate(list: Wave[], tsMs: number): number {
  let sum = 0;
  for (const wave of list) sum += wave.weight * Math.sin(wave.omega * tsMs + wave.phase);
  return sum;
}

/** USD price of a coin spec at an instant; see {@link priceAt}. */
export function specPrice(spec: CoinSpec, tsMs: number, seed: number): number {
  if (spec.priceOf) return specPrice(coinSpec(spec.priceOf), tsMs, seed);
  const own = oscillate(waves(OWN_PERIODS, seed, `own|${spec.id}`), tsMs);
  if (spec.style === 'stable') return spec.basePrice * (1 + spec.ownAmplitude * own);
  const market = oscillate(waves(MARKET_PERIODS, seed, 'market'), tsMs);
  return spec.basePrice * Math.exp(MARKET_AMPLITUDE * market + spec.ownAmplitude * own);
}

/** USD price, market cap and 24 h volume of a coin spec at an instant. */
export function specSnapshot(
  spec: CoinSpec,
  tsMs: number,
  seed: number,
): { price: number; marketCap: number; volume: number } {
  const price = specPrice(spec, tsMs, seed);
  const marketCap = price * spec.circulatingSupply;
  const swing = oscillate(waves(VOLUME_PERIODS, seed, `volume|${spec.id}`), tsMs);
  return { price, marketCap, volume: marketCap * spec.turnover * Math.exp(VOLUME_AMPLITUDE * swing) };
}

/** Lowest and highest USD price the coin can ever have (the sines' bounds); used for ath/atl. */
export function specPriceBounds(spec: CoinSpec): { low: number; high: number } {
  if (spec.priceOf) return specPriceBounds(coinSpec(spec.priceOf));
  if (spec.style === 'stable') {
    return { low: spec.basePrice * (1 - spec.ownAmplitude), high: spec.basePrice * (1 + spec.ownAmplitude) };
  }
  const swing = MARKET_AMPLITUDE + spec.ownAmplitude;
  return { low: spec.basePrice * Math.exp(-swing), high: spec.basePrice * Math.exp(swing) };
}

/**
 * USD price of `coinId` at `tsMs`: a pure function of (coin, instant, seed), smooth in time, so the price at
 * an hour is the same whatever range asked for it. Any id works; ids outside the catalog get a stable made-up
 * coin. `weth` has the price of `ethereum`; `usd-coin` and `tether` stay within 0.08 % of 1.
 * @example priceAt('bitcoin', Date.UTC(2025, 0, 1)) // ≈ 90 000, same on every call
 */
export function priceAt(coinId: string, tsMs: number, seed: number = DEFAULT_SEED): number {
  return specPrice(coinSpec(coinId), tsMs, seed);
}

/** USD market cap of `coinId` at `tsMs` (price × circulating supply). */
export function marketCapAt(coinId: string, tsMs: number, seed: number = DEFAULT_SEED): number {
  return specSnapshot(coinSpec(coinId), tsMs, seed).marketCap;
}

/** USD 24 h trading volume of `coinId` at `tsMs` (a wandering fraction of its market cap). */
export function volumeAt(coinId: string, tsMs: number, seed: number = DEFAULT_SEED): number {
  return specSnapshot(coinSpec(coinId), tsMs, seed).volume;
}
