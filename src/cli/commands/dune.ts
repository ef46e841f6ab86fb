import type { Command } from 'commander';
import { createApp } from '../../app.ts';
import { readWatermark } from '../../db/watermarks.ts';
import { EtlError } from '../../internal/errors.ts';
import { pushQueries } from '../../pipeline/dune/pushQueries.ts';
import { queryRegistry } from '../../pipeline/dune/queryRegistry.ts';
import { createDuneClient } from '../../sources/dune/client.ts';
import { COW_STREAM, type CowCursor } from '../../sources/dune/cowTradesStream.ts';
import { configuredQueryId, REPO_QUERIES } from '../../sources/dune/repoQueries.ts';
import { bootstrap, fail, withDatabase } from '../bootstrap.ts';
import { COMMAND_LIST } from '../commandList.ts';
import { createProgressReporter } from '../progress.ts';
import { exitWithJobResult } from './run.ts';

function parseParams(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new EtlError('ETL_INPUT_INVALID', `--param "${pair}": expected name=value`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** `crypto-etl dune push | load | status`: the queries kept as code, any query's result, and where things stand. */
export function registerDune(program: Command): void {
  const dune = program.command(COMMAND_LIST.dune.usage).description(COMMAND_LIST.dune.summary);

  dune
    .command('push')
    .description('Create or update the CoW queries of src/sources/dune/queries/ on Dune and record their ids')
    .action(async () => {
      const { config, log } = bootstrap();
      try {
        const client = createDuneClient({ config, log });
        await withDatabase(config, log, async (db) => {
          const outcomes = await pushQueries(client, queryRegistry(db), config);
          for (const o of outcomes) process.stdout.write(`${o.action.padEnd(9)} ${o.key} → Dune query ${o.queryId}\n`);
          const settings = outcomes.filter((o) => o.setting);
          if (settings.length > 0) {
            process.stdout.write('\nThe jobs use these ids already; to pin them, add to .env:\n');
            for (const o of settings) process.stdout.write(`  ${o.setting}=${o.queryId}\n`);
          }
        });
      } catch (error) {
        fail(error);
      }
    });

  dune
    .command('load <queryId>')
    .description('Load any Dune query result into staging.<table>, created and widened from its columns')
    .option('--table <name>', 'staging table (default dune_query_<id>); must start with dune_')
    .option('-p, --param <name=value...>', 'query parameters', [])
    .action(async (queryId: string, opts: { table?: string; param: string[] }) => {
      const { config, log } = bootstrap();
      const progress = createProgressReporter();
      try {
        const args = { queryId, table: opts.table, params: parseParams(opts.param) };
        const app = await createApp({ config, log });
        const triggered = await app.executor.trigger('dune-query', { args, onProgress: progress.onProgress });
        await exitWithJobResult(app, triggered.done, progress);
      } catch (error) {
        progress.stop();
        fail(error);
      }
    });

  dune
    .command('status')
    .description('Show the Dune settings, the pushed queries and how far the CoW trades are loaded')
    .action(async () => {
      const { config, log } = bootstrap();
      try {
        await withDatabase(config, log, async (db) => {
          const recorded = await queryRegistry(db).list();
          const out = [
            `API ${config.dune.apiUrl} · key ${config.dune.apiKey ? 'set' : 'NOT SET (DUNE_API_KEY)'} · mode ${config.dune.resultsMode}`,
          ];
          for (const query of REPO_QUERIES) {
            const pushed = recorded.find((r) => r.name === query.key);
            const configured = configuredQueryId(config, query);
            const id = configured ?? pushed?.query_id;
            const from = configured ? query.setting : pushed ? 'dune push' : '';
            out.push(
              `  ${query.key.padEnd(18)} ${id ? `query ${id} (${from})` : `no id: set ${query.setting} or run \`crypto-etl dune push\``}${pushed ? ` · pushed ${pushed.pushed_at.toISOString()}` : ''}`,
            );
          }
          const cursor = await readWatermark<CowCursor>(db, db.schemas, COW_STREAM);
          const [count] = await db.query<{ n: string | number }>(
            `SELECT count(*) AS n FROM ${db.schemas.staging}.dune_cow_trades`,
          );
          out.push(
            `CoW trades: ${Number(count?.n ?? 0)} rows, loaded through ${cursor?.through ?? 'never'}${cursor?.pending ? ` (execution ${cursor.pending.executionId} read up to row ${cursor.pending.offset})` : ''}`,
          );
          process.stdout.write(`${out.join('\n')}\n`);
        });
      } catch (error) {
        fail(error);
      }
    });
}
