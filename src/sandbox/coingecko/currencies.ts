import { fail, type RouteResult } from './context.ts';
import { priceAt } from './prices.ts';

/** Quote currencies the emulator answers in (the real API has ~60; these cover fiat and crypto quotes). */
export const VS_CURRENCIES = ['usd', 'eur', 'btc', 'eth'] as const;
export type VsCurrency = (typeof VS_CURRENCIES)[number];

const EUR_PER_USD = 0.92;

export function isVsCurrency(value: string): value is VsCurrency {
  return (VS_CURRENCIES as readonly string[]).includes(value);
}

/** Units of `currency` one USD buys at `tsMs`. */
export function usdRate(currency: VsCurrency, tsMs: number, seed: number): number {
  switch (currency) {
    case 'usd':
      return 1;
    case 'eur':
      return EUR_PER_USD;
    case 'btc':
      return 1 / priceAt('bitcoin', tsMs, seed);
    case 'eth':
      return 1 / priceAt('ethereum', tsMs, seed);
  }
}

/** The required `vs_currency` query parameter, or the 400 the real API answers. */
export function vsCurrencyParam(query: Record<string, string>): VsCurrency | RouteResult {
  const vs = query.vs_currency?.toLowerCase();
  if (!vs) return fail(400, 'Missing parameter vs_currency');
  return isVsCurrency(vs) ? vs : fail(400, 'invalid vs_currency');
}
