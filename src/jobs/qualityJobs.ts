import { runQualityChecks } from '../transforms/quality/runQualityChecks.ts';
import type { QualityResult } from '../transforms/quality/types.ts';
import { applyRetention } from '../transforms/retention.ts';
import { createAlertSender } from './alerts.ts';
import { buildCatalogue, type CatalogueDeps } from './catalogue.ts';
import { defineJob } from './defineJob.ts';
import { runSteps } from './steps.ts';

/** The data-quality job (hourly, after the hourly loads) and the retention job (daily, at a quiet hour). */
export function qualityJobs(deps: CatalogueDeps) {
  return [
    defineJob({
      name: 'quality',
      description:
        'Data-quality checks: freshness, gaps, duplicate keys, price jumps, chain blocks, CoW Dune vs chain → etl.quality_results',
      schedule: '30 * * * *',
      timeoutMs: 10 * 60_000,
      retries: 1,
      run: (ctx) =>
        runSteps('quality', ctx, [
          {
            name: 'quality.checks',
            run: async ({ db, log }) => {
              // The catalogue with its schedule overrides applied: freshness is judged against the real schedules.
              const jobs = buildCatalogue(deps);
              const run = await runQualityChecks(db, {
                jobs,
                priceJumpPct: deps.config.quality.priceJumpPct,
                now: deps.now?.(),
                evmLogsFiltered: deps.config.evm.logAddresses.length + deps.config.evm.logTopics.length > 0,
              });
              const failed = run.results.filter((r) => r.status === 'failed');
              log.info({ checks: run.results.length, failed: failed.length }, 'quality checks done');
              if (run.newlyFailed.length > 0) {
                const alerts = createAlertSender({ config: deps.config, log });
                await alerts.send(qualityAlert(run.newlyFailed, failed.length));
                await alerts.close();
              }
              return { rowsLoaded: run.results.length };
            },
          },
        ]),
    }),
    defineJob({
      name: 'retention',
      description:
        'Deletes run history, rejects and quality results older than RETENTION_DAYS; drops whole partitions past etl.partition_retention and etl.chain_partitions',
      schedule: '0 3 * * *',
      timeoutMs: 30 * 60_000,
      retries: 1,
      run: (ctx) =>
        runSteps('retention', ctx, [
          {
            name: 'retention.delete',
            run: async ({ db, log }) => {
              const deleted = await applyRetention(db, deps.config.retentionDays, { now: deps.now?.() });
              log.info({ deleted, days: deps.config.retentionDays }, 'retention applied');
              return { rowsLoaded: Object.values(deleted).reduce((a, b) => a + b, 0) };
            },
          },
        ]),
    }),
  ];
}

/** Each check's measure in words, for the alert. */
const MEASURE: Record<QualityResult['check'], (r: QualityResult) => string> = {
  freshness: (r) => `last success ${r.value} min ago (limit ${r.threshold} min)`,
  gaps_hourly: (r) => `${r.value} missing hour(s)`,
  gaps_daily: (r) => `${r.value} missing day(s)`,
  duplicate_keys: (r) => `${r.value} duplicated key(s)`,
  price_jumps: (r) => `${r.value} move(s) beyond ${r.threshold}%`,
  evm_block_contents: (r) => `${r.value} block(s) not stored whole`,
  evm_block_gaps: (r) => `${r.value} block(s) missing`,
  cow_reconciliation: (r) => `${r.value} trade(s) in Dune or on the chain only${volumeNote(r)}`,
};

/** The days whose Dune and on-chain volumes differ, when any. */
function volumeNote(r: QualityResult): string {
  const days = (r.details?.volumeDiffers as string[] | undefined) ?? [];
  return days.length > 0 ? `; volume differs on ${days.join(', ')}` : '';
}

/** One alert for the checks that started failing in this run. */
function qualityAlert(newlyFailed: readonly QualityResult[], failing: number) {
  const lines = newlyFailed.slice(0, 20).map((r) => `- ${r.check} ${r.subject}: ${MEASURE[r.check](r)}`);
  if (newlyFailed.length > 20) lines.push(`- … and ${newlyFailed.length - 20} more`);
  lines.push(`${failing} check(s) failing in all; details in etl.quality_results.`);
  return {
    subject: `crypto-etl: ${newlyFailed.length} data-quality check(s) failed (ETL_QUALITY_CHECK_FAILED)`,
    text: lines.join('\n'),
  };
}
