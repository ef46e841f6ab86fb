import { z } from 'zod';
import { engineOf } from '../db/engines.ts';
import { readWatermark } from '../db/watermarks.ts';
import { systemClock } from '../internal/clock.ts';
import { EtlError } from '../internal/errors.ts';
import { describeIssues } from '../internal/zodIssues.ts';
import { queryRegistry } from '../pipeline/dune/queryRegistry.ts';
import { ensureQueryTable, type TableChanges } from '../pipeline/dune/queryTable.ts';
import { anyQueryStream } from '../sources/dune/anyQueryStream.ts';
import { planColumns } from '../sources/dune/columnTypes.ts';
import { COW_STREAM, type CowCursor, dayBefore, dayBeforeDay } from '../sources/dune/cowTradesStream.ts';
import { duneSource } from '../sources/dune/index.ts';
import { configuredQueryId, REPO_QUERIES, type RepoQuery } from '../sources/dune/repoQueries.ts';
import type { ResultPage } from '../sources/dune/resultPages.ts';
import type { CatalogueDeps } from './catalogue.ts';
import { defineJob, type JobContext, type JobResult } from './defineJob.ts';
import { runSteps, type Step } from './steps.ts';

/** Arguments of `dune-query` (from `crypto-etl dune load` or the API). */
const queryArgs = z.object({
  queryId: z.coerce.number().int().positive(),
  table: z
    .string()
    .regex(/^dune_[a-z0-9_]{1,58}$/, 'expected a lower-case table name starting with dune_')
    .refine((t) => t !== 'dune_cow_trades', 'dune_cow_trades belongs to the CoW jobs')
    .optional(),
  params: z.record(z.string(), z.string()).default({}),
});

function skipped(job: string, ctx: JobContext, reason: string): JobResult {
  ctx.log.info({ reason }, `${job} skipped: ${reason}`);
  return { job, status: 'succeeded', runs: [] };
}

/** The Dune id of a repo query: its setting first, then the id `crypto-etl dune push` recorded. */
async function queryIdOf(ctx: JobContext, query: RepoQuery): Promise<number | undefined> {
  return configuredQueryId(ctx.config, query) ?? (await queryRegistry(ctx.db).get(query.key))?.query_id;
}

/** The days after `through` up to `last` (both `YYYY-MM-DD`) that hold no CoW trade in staging. */
async function missingDays(ctx: JobContext, through: string, last: string): Promise<string[]> {
  if (through >= last) return [];
  const day = engineOf(ctx.db).dateText('block_date');
  const rows = await ctx.db.query<{ day: string }>(
    `SELECT ${day} AS day FROM ${ctx.db.schemas.staging}.dune_cow_trades
     WHERE block_date > $1 AND block_date <= $2 GROUP BY block_date`,
    [through, last],
  );
  const stored = new Set(rows.map((r) => r.day));
  const days: string[] = [];
  for (let d = last; d > through; d = dayBeforeDay(d)) if (!stored.has(d)) days.unshift(d);
  return days;
}

/** Days the CoW queries cannot reach: what is missing and the commands that load it. */
function gapError(missing: string[], monthStart: string, through: string): EtlError {
  const first = missing[0] ?? '';
  const last = missing.at(-1) ?? '';
  const days = missing.length > 6 ? `${first} … ${last} (${missing.length} days)` : missing.join(', ');
  return new EtlError(
    'ETL_DATA_GAP',
    `CoW trades of ${days} are not loaded: the watermark is at ${through} and the Dune queries reach back to ` +
      `${monthStart} only (this month up to yesterday). Nothing was loaded and the watermark stays. Load those days: ` +
      `on dune.com run the SQL of src/sources/dune/queries/cow_trades_init.sql with its date condition replaced by ` +
      `\`block_date BETWEEN DATE '${first}' AND DATE '${last}'\`, export the result as CSV, then ` +
      `\`crypto-etl backfill dune_cow_trades <file.csv>\` and \`crypto-etl run dune-update\` (it then loads ${monthStart} ` +
      'onwards and moves the watermark).',
    { details: { through, missing } },
  );
}

/** The Dune jobs: the CoW trades month to date (at start-up) and daily, and any query on demand. */
export function duneJobs(deps: CatalogueDeps) {
  const [initQuery, updateQuery] = REPO_QUERIES as [RepoQuery, RepoQuery];

  async function runCow(job: string, wanted: RepoQuery, ctx: JobContext, skipWhenCovered: boolean) {
    if (!ctx.config.dune.apiKey) return skipped(job, ctx, 'Dune is not configured (set DUNE_API_KEY)');
    const cursor = await readWatermark<CowCursor>(ctx.db, ctx.db.schemas, COW_STREAM);
    const yesterday = dayBefore((deps.now ?? systemClock)());
    const monthStart = `${yesterday.slice(0, 8)}01`;
    // The queries reach back to the 1st of yesterday's month at most (the month-to-date query). Days between the
    // watermark and that 1st are loaded only by a backfill: until each of them holds rows, a first step fails the
    // run (recorded in etl.runs) rather than let it succeed while they are missing. Once they do, the watermark
    // may move over them.
    const storedThrough =
      cursor?.through && cursor.through < dayBeforeDay(monthStart) ? dayBeforeDay(monthStart) : undefined;
    const gapCheck: Step[] = [];
    if (cursor?.through && storedThrough) {
      const through = cursor.through;
      gapCheck.push({
        name: `${COW_STREAM}.gap`,
        run: async () => {
          const missing = await missingDays(ctx, through, storedThrough);
          if (missing.length > 0) throw gapError(missing, monthStart, through);
          return undefined;
        },
      });
    }
    const through = storedThrough ?? cursor?.through;
    let query = wanted;
    // The update query holds yesterday only: after missed days it would leave them behind the watermark for
    // good. The month-to-date query loads them instead, when it has an id.
    if (wanted === updateQuery && through !== undefined && through < dayBeforeDay(yesterday)) {
      if (await queryIdOf(ctx, initQuery)) {
        ctx.log.warn({ through }, 'days before yesterday are not loaded: running the month-to-date query');
        query = initQuery;
      }
    }
    const queryId = await queryIdOf(ctx, query);
    if (!queryId) {
      return skipped(job, ctx, `Dune is not configured (set ${query.setting}, or run \`crypto-etl dune push\`)`);
    }
    if (skipWhenCovered && cursor?.through && cursor.through >= yesterday && !cursor.pending) {
      return skipped(job, ctx, `the trades are loaded through ${cursor.through} already`);
    }
    const covers = query === initQuery ? 'month' : 'day';
    return runSteps(job, ctx, [...gapCheck, { stream: duneSource(deps).cowTrades(queryId, covers, storedThrough) }]);
  }

  async function runAnyQuery(job: string, ctx: JobContext): Promise<JobResult> {
    const parsed = queryArgs.safeParse(ctx.args);
    if (!parsed.success) {
      throw new EtlError('ETL_INPUT_INVALID', `Invalid arguments of ${job}: ${describeIssues(parsed.error)}`);
    }
    const { queryId, params } = parsed.data;
    const table = parsed.data.table ?? `dune_query_${queryId}`;
    const pages = duneSource(deps).queryResult(queryId, params, ctx.signal, ctx.log);
    let first: ResultPage | undefined;
    let changes: TableChanges | undefined;
    // The table's columns come from the result's metadata: read the first page, shape the table, then stream.
    const prepare = await runSteps(job, ctx, [
      {
        name: `dune.query.${table}.prepare`,
        run: async () => {
          const next = await pages.next();
          if (next.done)
            throw new EtlError('ETL_UPSTREAM_MALFORMED', `Dune returned no result page for query ${queryId}`);
          first = next.value;
          changes = await ensureQueryTable(ctx.db, table, planColumns(first.metadata, first.rows));
          ctx.log.info(
            { table, created: changes.created, added: changes.added, widened: changes.widened },
            'table ready',
          );
          return undefined;
        },
      },
    ]);
    if (prepare.status === 'failed' || !first || !changes) {
      await pages.return(undefined);
      return prepare;
    }
    const head = first;
    const stream = anyQueryStream({
      table,
      columns: changes.columns,
      pages: (async function* () {
        yield head;
        yield* pages;
      })(),
    });
    const load = await runSteps(job, ctx, [{ stream }]);
    return { ...load, runs: [...prepare.runs, ...load.runs] };
  }

  return [
    defineJob({
      name: 'dune-init',
      description:
        'Dune: CoW WETH–USDC trades of this month up to yesterday → staging.dune_cow_trades (skipped when loaded)',
      schedule: null,
      timeoutMs: 60 * 60_000,
      retries: 2,
      run: (ctx) => runCow('dune-init', initQuery, ctx, true),
    }),
    defineJob({
      name: 'dune-update',
      description: "Dune: yesterday's CoW WETH–USDC trades → staging.dune_cow_trades",
      schedule: '0 9 * * *',
      timeoutMs: 60 * 60_000,
      retries: 3,
      run: (ctx) => runCow('dune-update', updateQuery, ctx, false),
    }),
    defineJob({
      name: 'dune-query',
      description:
        'Dune: any query (args queryId, table, params) → staging.<table>, created and widened from its columns',
      schedule: null,
      timeoutMs: 60 * 60_000,
      retries: 1,
      run: (ctx) => runAnyQuery('dune-query', ctx),
    }),
  ];
}
