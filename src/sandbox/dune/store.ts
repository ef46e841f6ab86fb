import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OnChainTrade } from './cowTrades.ts';
import { type Execution, executionId, type ScriptedOutcome, stateAt } from './executions.ts';
import { computeResult, type EmulatedQuery, type StaticResult } from './queries.ts';

const repoQueries = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'sources', 'dune', 'queries');

/** Ids of the queries every emulator starts with. */
export const PREDEFINED = { cowInit: 4_100_001, cowUpdate: 4_100_002 } as const;

export interface StoreOptions {
  now: () => number;
  seed: number;
  cowTradesPerDay: number;
  cowOnChain?: ReadonlyMap<string, OnChainTrade>;
  pendingMs: number;
  executingMs: number;
}

/** A query to add: a fixed result, or SQL the emulator interprets (see `computeResult`). */
export interface QuerySpec {
  name?: string;
  sql?: string;
  parameters?: EmulatedQuery['parameters'];
  result?: StaticResult;
}

/** The emulator's saved queries and executions. */
export function createStore(options: StoreOptions) {
  const queries = new Map<number, EmulatedQuery>();
  const executions = new Map<string, Execution>();
  const scripted: ScriptedOutcome[] = [];
  let nextQueryId = 4_200_001;
  let sequence = 0;

  function run(queryId: number, params: Record<string, unknown>, submittedMs: number, delays: boolean): Execution {
    const index = scripted.findIndex((s) => s.queryId === undefined || s.queryId === queryId);
    const outcome = index >= 0 ? scripted.splice(index, 1)[0] : undefined;
    const execution: Execution = {
      id: executionId(submittedMs, ++sequence),
      queryId,
      params,
      submittedMs,
      pendingMs: delays ? options.pendingMs : 0,
      executingMs: delays ? options.executingMs : 0,
      outcome,
    };
    const query = queries.get(queryId);
    // A stored result never changes, even when its query is edited later: compute it now.
    if (query) {
      execution.result = computeResult(query, {
        submittedMs,
        params,
        seed: options.seed,
        cowTradesPerDay: options.cowTradesPerDay,
        cowOnChain: options.cowOnChain,
      });
    }
    executions.set(execution.id, execution);
    return execution;
  }

  function add(id: number, spec: QuerySpec): EmulatedQuery {
    const query: EmulatedQuery = {
      query_id: id,
      name: spec.name ?? `sandbox query ${id}`,
      description: '',
      query_sql: spec.sql ?? 'SELECT 1',
      parameters: spec.parameters ?? [],
      is_private: true,
      version: 1,
      result: spec.result,
    };
    queries.set(id, query);
    return query;
  }

  const store = {
    queries,
    executions,
    /** Adds a query that already has a completed run (so `latest` mode has something to read). */
    define(spec: QuerySpec, id = nextQueryId++): EmulatedQuery {
      const query = add(id, spec);
      run(id, {}, options.now(), false);
      return query;
    },
    /** Adds a query through the API: no run yet. */
    create(spec: QuerySpec): EmulatedQuery {
      return add(nextQueryId++, spec);
    },
    execute: (queryId: number, params: Record<string, unknown>) => run(queryId, params, options.now(), true),
    script: (outcome: ScriptedOutcome) => void scripted.push(outcome),
    /** Replaces the fixed result of a query: later runs return it (a column added upstream, say). */
    setResult(queryId: number, result: StaticResult): void {
      const query = queries.get(queryId);
      if (query) query.result = result;
    },
    /** The latest completed execution of a query, whoever ran it. */
    latest(queryId: number): Execution | undefined {
      let found: Execution | undefined;
      for (const execution of executions.values()) {
        if (execution.queryId !== queryId || stateAt(execution, options.now()) !== 'QUERY_STATE_COMPLETED') continue;
        if (!found || execution.submittedMs >= found.submittedMs) found = execution;
      }
      return found;
    },
  };

  const sql = (file: string) => readFileSync(join(repoQueries, file), 'utf8').trim();
  const cowParameters = [
    { key: 'target_buy_token', type: 'text', value: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2' },
    { key: 'target_sell_token', type: 'text', value: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48' },
  ];
  store.define(
    { name: 'CoW trades, month to date', sql: sql('cow_trades_init.sql'), parameters: cowParameters },
    PREDEFINED.cowInit,
  );
  store.define(
    { name: 'CoW trades, yesterday', sql: sql('cow_trades_update.sql'), parameters: cowParameters },
    PREDEFINED.cowUpdate,
  );
  return store;
}

export type Store = ReturnType<typeof createStore>;
