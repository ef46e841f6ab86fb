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
