import { fail, type RouteResult } from '../http/respond.ts';
import type { Catalog } from './coins.ts';
import type { Move } from './faults.ts';

// CoinGecko's plain error shape, e.g. `{"error":"Missing parameter vs_currency"}`.
export { fail, type RouteResult };

/** What every route handler may read; handlers are pure functions of (path, query, context). */
export interface RouteContext {
  /** The emulator clock, ms. */
  nowMs: number;
  seed: number;
  catalog: Catalog;
  /** Moves of this path's listing injected so far (`Fault.thenMove`). */
  moves?: readonly Move[];
}

export function ok(body: unknown): RouteResult {
  return { status: 200, body };
}

/** Query booleans: the API takes `true` / `false`. */
export function flag(query: Record<string, string>, name: string): boolean {
  return query[name]?.toLowerCase() === 'true';
}

/** Comma-separated query lists, trimmed, lower-cased, empties dropped. */
export function csv(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part.length > 0);
}

/** `now` truncated to the minute: what "last updated" fields report, so calls in one minute agree. */
export function minuteOf(nowMs: number): number {
  return Math.floor(nowMs / 60_000) * 60_000;
}
