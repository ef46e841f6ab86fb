import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config.ts';
import type { QueryParameter } from './schemas.ts';

const folder = join(dirname(fileURLToPath(import.meta.url)), 'queries');

/** A query kept as code in `src/sources/dune/queries/`, pushed to Dune by `crypto-etl dune push`. */
export interface RepoQuery {
  /** File stem, and its name in `etl.dune_queries`. */
  key: 'cow_trades_init' | 'cow_trades_update';
  /** Its name on dune.com. */
  title: string;
  /** The setting holding its Dune id. */
  setting: 'DUNE_INIT_QUERY_ID' | 'DUNE_UPDATE_QUERY_ID';
  path: string;
}

export const REPO_QUERIES: readonly RepoQuery[] = [
  {
    key: 'cow_trades_init',
    title: 'crypto-etl: CoW trades, month to date',
    setting: 'DUNE_INIT_QUERY_ID',
    path: join(folder, 'cow_trades_init.sql'),
  },
  {
    key: 'cow_trades_update',
    title: 'crypto-etl: CoW trades, yesterday',
    setting: 'DUNE_UPDATE_QUERY_ID',
    path: join(folder, 'cow_trades_update.sql'),
  },
];

/** The SQL of a repo query and its SHA-256, which tells whether Dune's copy is current. */
export function readRepoQuery(query: RepoQuery): { sql: string; hash: string } {
  const sql = readFileSync(query.path, 'utf8').trim();
  return { sql, hash: createHash('sha256').update(sql).digest('hex') };
}

/** The configured id of a repo query (`DUNE_INIT_QUERY_ID` / `DUNE_UPDATE_QUERY_ID`). */
export function configuredQueryId(config: Pick<Config, 'dune'>, query: RepoQuery): number | undefined {
  return query.setting === 'DUNE_INIT_QUERY_ID' ? config.dune.initQueryId : config.dune.updateQueryId;
}

/** Execution parameters of the CoW queries: the token pair from `DUNE_BUY_TOKEN` / `DUNE_SELL_TOKEN`. */
export function cowParams(config: Pick<Config, 'dune'>): Record<string, string> {
  return {
    target_buy_token: config.dune.buyToken.toLowerCase(),
    target_sell_token: config.dune.sellToken.toLowerCase(),
  };
}

/** The same parameters as saved on the query (their defaults in Dune's UI). */
export function cowParameterDefinitions(config: Pick<Config, 'dune'>): QueryParameter[] {
  return Object.entries(cowParams(config)).map(([key, value]) => ({ key, type: 'text', value }));
}
