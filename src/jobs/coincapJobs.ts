import { EtlError } from '../internal/errors.ts';
import type { CatalogueDeps } from './catalogue.ts';
import { defineJob, type JobContext, type JobResult } from './defineJob.ts';
import { runSteps } from './steps.ts';

/** `--from` / `--to` of `run coincap-history`: a date (`2025-01-31`), an ISO instant or UNIX milliseconds. */
export function instantArg(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const ms = /^\d+$/.test(text)
    ? Number(text)
    : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) {
    throw new EtlError(
      'ETL_INPUT_INVALID',
      `--${name} "${text}" is not a date: use 2025-01-31, an ISO time or UNIX ms`,
    );
  }
  return ms;
}

/**
 * The CoinCap jobs, hourly: assets, exchanges with their markets, and daily + hourly price history.
 * CoinCap v3 needs a key: without `COINCAP_API_KEY` each run is skipped with a note (as Dune's are), so a
 * keyless start neither fails nor spends anything.
 */
export function coincapJobs(deps: CatalogueDeps) {
  // The source loads when a CoinCap job runs, not in every command that lists the jobs.
  const source = async () => (await import('../sources/coincap/index.ts')).coincapSource(deps);
  const unconfigured = (job: string, ctx: JobContext): JobResult | undefined => {
    if (ctx.config.coincap.apiKey) return undefined;
    ctx.log.info({ job }, `${job} skipped: CoinCap is not configured (set COINCAP_API_KEY)`);
    return { job, status: 'succeeded', runs: [] };
  };
  return [
    defineJob({
      name: 'coincap-assets',
      description: 'CoinCap assets → staging.coincap_assets',
      schedule: '5 * * * *',
      timeoutMs: 10 * 60_000,
      retries: 3,
      run: async (ctx) =>
        unconfigured('coincap-assets', ctx) ?? runSteps('coincap-assets', ctx, [{ stream: (await source()).assets }]),
    }),
    defineJob({
      name: 'coincap-markets',
      description: 'CoinCap exchanges and their markets → staging.coincap_exchanges, staging.coincap_markets',
      schedule: '10 * * * *',
      timeoutMs: 20 * 60_000,
      retries: 3,
      run: async (ctx) => {
        const skipped = unconfigured('coincap-markets', ctx);
        if (skipped) return skipped;
        const s = await source();
        return runSteps('coincap-markets', ctx, [{ stream: s.exchanges }, { stream: s.markets }]);
      },
    }),
    defineJob({
      name: 'coincap-history',
      description: 'CoinCap daily and hourly price history of the configured coins → staging.coincap_asset_history',
      schedule: '20 * * * *',
      timeoutMs: 60 * 60_000,
      retries: 3,
      run: async (ctx) => {
        const skipped = unconfigured('coincap-history', ctx);
        if (skipped) return skipped;
        const range = { fromMs: instantArg(ctx.args.from, 'from'), toMs: instantArg(ctx.args.to, 'to') };
        const s = await source();
        return runSteps('coincap-history', ctx, [
          { stream: s.historyDaily(range) },
          { stream: s.historyHourly(range) },
        ]);
      },
    }),
  ];
}
