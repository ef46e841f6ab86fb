/** An answer to force on matching requests; see `CoinGeckoEmulator.inject`. */
export interface Fault {
  /** Path after `/api/v3` the request must start with, e.g. `/coins/markets` (a leading `/api/v3` is ignored). */
  pathPrefix: string;
  /** Query parameters the request must also carry, e.g. `{ page: '2' }` to break one page of a listing. */
  query?: Record<string, string>;
  /** How many matching requests get it; default 1. */
  times?: number;
  /** Status to answer with; default 500 when `body` is given. With neither, the request is served normally. */
  status?: number;
  /** Raw body; default the 429 body for 429, else a JSON error. May be HTML (Cloudflare-style). */
  body?: string;
  /** Extra headers, added to the normal answer as well. */
  headers?: Record<string, string>;
  /** Wait this long before answering (e.g. to trip a client timeout). */
  delayMs?: number;
  /**
   * Once this request is answered, the item at place `from` (1-based) of the listing at this request's path is
   * listed at place `to` from then on, the items between moving by one: a market-cap order moving between the
   * pages of one read, as the real APIs' do. Answers keep their wire format (ranks follow the new places).
   */
  thenMove?: Move;
}

/** One move of a listing's order; see `Fault.thenMove`. */
export interface Move {
  from: number;
  to: number;
}

/** `list` with each move applied in turn (places past the list's end are ignored). */
export function applyMoves<T>(list: readonly T[], moves: readonly Move[] = []): T[] {
  const out = [...list];
  for (const { from, to } of moves) {
    if (from < 1 || from > out.length || to < 1 || to > out.length) continue;
    const [item] = out.splice(from - 1, 1);
    out.splice(to - 1, 0, item as T);
  }
  return out;
}

/** The moves made so far, per listing path. */
export interface MovesByPath {
  of(path: string): readonly Move[];
  /** Records the fault's move, if any, for `path` (call once the request is answered). */
  after(fault: Fault | undefined, path: string): void;
}

export function createMoves(): MovesByPath {
  const moves = new Map<string, Move[]>();
  return {
    of: (path) => moves.get(path) ?? [],
    after(fault, path) {
      if (!fault?.thenMove) return;
      moves.set(path, [...(moves.get(path) ?? []), fault.thenMove]);
    },
  };
}

export interface FaultQueue {
  add(fault: Fault): void;
  /** The first pending fault matching `path`, counted as used. */
  take(path: string, query?: Record<string, string>): Fault | undefined;
}

function normalise(prefix: string): string {
  const withSlash = prefix.startsWith('/') ? prefix : `/${prefix}`;
  return withSlash.startsWith('/api/v3/') ? withSlash.slice('/api/v3'.length) : withSlash;
}

export function createFaultQueue(): FaultQueue {
  const pending: Array<{ fault: Fault; prefix: string; left: number }> = [];
  return {
    add(fault) {
      const left = fault.times ?? 1;
      if (left > 0) pending.push({ fault, prefix: normalise(fault.pathPrefix), left });
    },
    take(path, query = {}) {
      const index = pending.findIndex(
        (entry) =>
          path.startsWith(entry.prefix) &&
          Object.entries(entry.fault.query ?? {}).every(([name, value]) => query[name] === value),
      );
      const entry = pending[index];
      if (!entry) return undefined;
      entry.left -= 1;
      if (entry.left <= 0) pending.splice(index, 1);
      return entry.fault;
    },
  };
}
