import type { Catalog } from '../coingecko/coins.ts';
import type { Move } from '../coingecko/faults.ts';
import { fail, type RouteResult } from '../http/respond.ts';

// Error shape `{"error": "<message>"}` (the reference marks the exact body as unconfirmed).
export { fail, type RouteResult };

/** What every route handler may read; handlers are pure functions of (path, query, context). */
export interface CoinCapContext {
  /** The emulator clock, ms. */
  nowMs: number;
  seed: number;
  /** The coins (shared with the CoinGecko emulator, so both price the same coins alike). */
  catalog: Catalog;
  /** Moves of this path's listing injected so far (`Fault.thenMove`): /assets and /markets. */
  moves?: readonly Move[];
}

/** CoinCap wraps every answer as `{"data": …, "timestamp": <unix ms>}`. */
export function ok(data: unknown, ctx: CoinCapContext): RouteResult {
  return { status: 200, body: { data, timestamp: ctx.nowMs } };
}

/** Numbers travel as strings with 16 decimals (`"6929.8217756835584756"`); absent values as null. */
export function decimal(value: number | null): string | null {
  return value === null ? null : value.toFixed(16);
}

/** CoinCap's largest `limit`. */
export const MAX_LIMIT = 2000;

/** `limit` (default 100, at most 2000) and `offset` (default 0), or the 400 the real API answers. */
export function paging(query: Record<string, string>): { limit: number; offset: number } | RouteResult {
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  const offset = query.offset === undefined ? 0 : Number(query.offset);
  if (!Number.isInteger(limit) || limit < 1) return fail(400, 'limit must be a positive integer');
  if (limit > MAX_LIMIT) return fail(400, `limit exceeds ${MAX_LIMIT}`);
  if (!Number.isInteger(offset) || offset < 0) return fail(400, 'offset must be a non-negative integer');
  return { limit, offset };
}

export function isResult(value: unknown): value is RouteResult {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value;
}
