import { COW_COLUMNS, cowTradesBetween, type OnChainTrade, USDC, WETH } from './cowTrades.ts';

const DAY_MS = 86_400_000;

/** A fixed result: columns (name, DuneSQL type) and rows. */
export interface StaticResult {
  columns: ReadonlyArray<readonly [string, string]>;
  rows: Record<string, unknown>[];
}

/** A saved query of the emulator. */
export interface EmulatedQuery {
  query_id: number;
  name: string;
  description: string;
  query_sql: string;
  parameters: Array<{ key: string; type: string; value: string }>;
  is_private: boolean;
  version: number;
  /** Rows served when it runs; without one, the SQL decides (CoW trades, or a one-row sample). */
  result?: StaticResult;
}

/** A result as an execution computes it. */
export interface ComputedResult {
  columnNames: string[];
  columnTypes: string[];
  rows: Record<string, unknown>[];
}

export interface DatasetContext {
  /** When the execution was submitted, ms: `current_date` of the SQL. */
  submittedMs: number;
  params: Record<string, unknown>;
  seed: number;
  cowTradesPerDay: number;
  /** The sandbox chain's copies of the trades, by order uid. */
  cowOnChain?: ReadonlyMap<string, OnChainTrade>;
}

function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * What a query returns. The emulator runs no SQL: a query over `cow_protocol_ethereum.trades` returns synthetic
 * WETH–USDC trades for the window its SQL names (`date_trunc('month', …)` → this month up to yesterday, otherwise
 * yesterday), for the token pair in its parameters (defaults from the saved query); a query with a fixed result
 * returns that; anything else returns one sample row.
 */
export function computeResult(query: EmulatedQuery, ctx: DatasetContext): ComputedResult {
  if (query.result) {
    return {
      columnNames: query.result.columns.map(([name]) => name),
      columnTypes: query.result.columns.map(([, type]) => type),
      rows: query.result.rows,
    };
  }
  if (/cow_protocol_ethereum\.trades/i.test(query.query_sql)) {
    const param = (key: string, fallback: string) =>
      String(ctx.params[key] ?? query.parameters.find((p) => p.key === key)?.value ?? fallback);
    const yesterday = dayStart(ctx.submittedMs) - DAY_MS;
    const y = new Date(yesterday);
    const from = /date_trunc\(\s*'month'/i.test(query.query_sql)
      ? Date.UTC(y.getUTCFullYear(), y.getUTCMonth(), 1)
      : yesterday;
    const rows = cowTradesBetween(from, yesterday, {
      seed: ctx.seed,
      perDay: ctx.cowTradesPerDay,
      onChain: ctx.cowOnChain,
      buyToken: param('target_buy_token', WETH),
      sellToken: param('target_sell_token', USDC),
    });
    return { columnNames: COW_COLUMNS.map(([n]) => n), columnTypes: COW_COLUMNS.map(([, t]) => t), rows };
  }
  return {
    columnNames: ['query_id', 'answer', 'run_at'],
    columnTypes: ['bigint', 'varchar', 'timestamp(3) with time zone'],
    rows: [
      {
        query_id: query.query_id,
        answer: 'sandbox: this emulator runs no SQL',
        run_at: new Date(ctx.submittedMs).toISOString().replace('T', ' ').replace('Z', ' UTC'),
      },
    ],
  };
}
