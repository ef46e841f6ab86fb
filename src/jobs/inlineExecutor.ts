import { Cron } from 'croner';
import type { Common } from '../common.ts';
import { EtlError } from '../internal/errors.ts';
import { findJob } from './catalogue.ts';
import type { JobDefinition, JobResult } from './defineJob.ts';
import type { Executor, Triggered } from './executor.ts';
import type { JobRunner } from './jobRunner.ts';

/**
 * The default executor: croner schedules in this process (UTC), jobs run here.
 * A job never overlaps itself: a tick that finds it running is skipped, a manual trigger is refused.
 */
export function createInlineExecutor(
  deps: Pick<Common, 'log'> & { catalogue: readonly JobDefinition[]; jobRunner: JobRunner },
): Executor {
  const running = new Map<string, Promise<JobResult>>();
  const crons = new Map<string, Cron>();
  const stopping = new AbortController();
  let sequence = 0;

  function launch(job: JobDefinition, options: Parameters<Executor['trigger']>[1] = {}): Triggered {
    const done = deps.jobRunner.runWithRetries(job, options, stopping.signal).finally(() => running.delete(job.name));
    running.set(job.name, done);
    return { id: `${job.name}:${++sequence}`, done };
  }

  return {
    kind: 'inline',
    async start() {
      for (const job of deps.catalogue) {
        if (!job.schedule) continue;
        const cron = new Cron(job.schedule, { timezone: 'UTC' }, () => {
          if (running.has(job.name)) {
            deps.log.warn({ job: job.name }, 'scheduled tick skipped: the previous run is still going');
            return;
          }
          launch(job, { trigger: 'schedule' });
        });
        crons.set(job.name, cron);
      }
      deps.log.info({ jobs: [...crons.keys()] }, 'inline scheduler started (UTC)');
    },
    async trigger(name, options) {
      const job = findJob(deps.catalogue, name);
      if (running.has(name)) {
        throw new EtlError('ETL_JOB_ALREADY_RUNNING', `Job ${name} is already running: wait for it to finish`, {
          retryable: true,
        });
      }
      return launch(job, options);
    },
    nextRun(name) {
      return crons.get(name)?.nextRun() ?? null;
    },
    async stop() {
      for (const cron of crons.values()) cron.stop();
      crons.clear();
      stopping.abort();
      await Promise.allSettled(running.values());
    },
  };
}
