import type { Config } from '../../config.ts';
import { EtlError, isEtlError } from '../../internal/errors.ts';
import type { DuneClient, QueryDefinition } from '../../sources/dune/client.ts';
import {
  configuredQueryId,
  cowParameterDefinitions,
  REPO_QUERIES,
  type RepoQuery,
  readRepoQuery,
} from '../../sources/dune/repoQueries.ts';
import type { QueryRegistry } from './queryRegistry.ts';

export interface PushOutcome {
  key: string;
  queryId: number;
  action: 'created' | 'updated' | 'unchanged';
  /** The setting to put the id in, when config does not hold it yet. */
  setting?: string;
}

/**
 * Creates or updates each repo query on Dune through the query-management API and records its id and SQL hash
 * in `etl.dune_queries`. The id comes from config first, then from the last push; a query whose recorded hash
 * matches is left alone. A plan without query management (HTTP 403) fails with the paste-it-by-hand workaround.
 */
export async function pushQueries(
  client: DuneClient,
  registry: QueryRegistry,
  config: Pick<Config, 'dune'>,
  queries: readonly RepoQuery[] = REPO_QUERIES,
): Promise<PushOutcome[]> {
  const outcomes: PushOutcome[] = [];
  for (const query of queries) {
    const { sql, hash } = readRepoQuery(query);
    const configured = configuredQueryId(config, query);
    const recorded = await registry.get(query.key);
    const knownId = configured ?? recorded?.query_id;
    const definition: QueryDefinition = {
      name: query.title,
      sql,
      description: `Kept as code in crypto-etl (src/sources/dune/queries/${query.key}.sql); edits here are overwritten by \`crypto-etl dune push\`.`,
      parameters: cowParameterDefinitions(config),
    };
    let outcome: PushOutcome;
    try {
      if (knownId !== undefined && recorded?.query_id === knownId && recorded.sql_hash === hash) {
        outcome = { key: query.key, queryId: knownId, action: 'unchanged' };
      } else if (knownId !== undefined) {
        outcome = { key: query.key, queryId: await client.updateQuery(knownId, definition), action: 'updated' };
      } else {
        outcome = { key: query.key, queryId: await client.createQuery(definition), action: 'created' };
      }
    } catch (error) {
      throw planRefusal(error, query) ?? error;
    }
    await registry.save({ name: query.key, query_id: outcome.queryId, title: query.title, sql_hash: hash });
    outcomes.push(configured === outcome.queryId ? outcome : { ...outcome, setting: query.setting });
  }
  return outcomes;
}

function planRefusal(error: unknown, query: RepoQuery): EtlError | undefined {
  if (!isEtlError(error) || error.details.status !== 403) return undefined;
  return new EtlError(
    'ETL_UPSTREAM_PLAN',
    `Dune refused to manage queries through the API for this key (HTTP 403: ${String(error.details.upstream)}): ` +
      'the query-management API needs a paid plan. Create the query by hand instead: paste ' +
      `src/sources/dune/queries/${query.key}.sql into a new query on dune.com, add the text parameters target_buy_token and target_sell_token, ` +
      `save it, and set ${query.setting} to its id (the number in its URL).`,
    { details: error.details, cause: error },
  );
}
