import { csv, fail, flag, minuteOf, ok, type RouteContext, type RouteResult } from './context.ts';
import { isVsCurrency, usdRate } from './currencies.ts';
import { specSnapshot } from './prices.ts';

const DAY_MS = 86_400_000;

/**
 * GET /simple/price?ids&vs_currencies[&include_market_cap&include_24hr_vol&include_24hr_change
 * &include_last_updated_at]. Unknown ids and currencies are left out, not errors.
 */
export function handleSimplePrice(query: Record<string, string>, ctx: RouteContext): RouteResult {
  if (!query.ids) return fail(400, 'Missing parameter ids');
  if (!query.vs_currencies) return fail(400, 'Missing parameter vs_currencies');
  const at = minuteOf(ctx.nowMs);
  const currencies = csv(query.vs_currencies).filter(isVsCurrency);
  const body: Record<string, Record<string, number>> = {};
  for (const id of csv(query.ids)) {
    const spec = ctx.catalog.byId.get(id);
    if (!spec) continue;
    const now = specSnapshot(spec, at, ctx.seed);
    const dayAgo = specSnapshot(spec, at - DAY_MS, ctx.seed);
    const entry: Record<string, number> = {};
    for (const vs of currencies) {
      const rate = usdRate(vs, at, ctx.seed);
      const price = now.price * rate;
      entry[vs] = price;
      if (flag(query, 'include_market_cap')) entry[`${vs}_market_cap`] = now.marketCap * rate;
      if (flag(query, 'include_24hr_vol')) entry[`${vs}_24h_vol`] = now.volume * rate;
      if (flag(query, 'include_24hr_change')) {
        const before = dayAgo.price * usdRate(vs, at - DAY_MS, ctx.seed);
        entry[`${vs}_24h_change`] = (price / before - 1) * 100;
      }
    }
    // NOTE: seconds here, unlike the ms of the chart endpoints.
    if (flag(query, 'include_last_updated_at')) entry.last_updated_at = at / 1000;
    body[id] = entry;
  }
  return ok(body);
}
