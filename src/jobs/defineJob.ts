import type { Config } from '../config.ts';
import type { EngineAdapter } from '../db/engines.ts';
import type { Db } from '../db/types.ts';

import type { Logger } from '../internal/logger.ts';
import type { RunTrigger } from '../pipeline/runLog.ts';
import type { Runner, RunResult, StreamProgress } from '../pipeline/runner.ts';

export interface JobContext {
  config: Config;
  db: Db;
  log: Logger;
  runner: Runner;
  signal: AbortSignal;
  trigger: RunTrigger;
  /** Job arguments from the CLI or API (e.g. `{ from, to }` for a block backfill). */
  args: Record<string, unknown>;
  onProgress?: (progress: StreamProgress) => void;
}

export interface JobResult {
  job: string;
  status: 'succeeded' | 'failed';
  runs: RunResult[];
  error?: string;
  /** Whether trying again may help (an upstream outage yes, a bad API key no). */
  retryable?: boolean;
}

export interface JobDefinition {
  /** Kebab-case, used by the CLI, the API, the queue and `SCHEDULE_<NAME>` overrides. */
  name: string;
  description: string;
  /** Cron in UTC (5 or 6 fields), or null for manual-only jobs. */
  schedule: string | null;
  /** A run longer than this is aborted between batches and fails. */
  timeoutMs: number;
  /** Attempts after the first, with exponential backoff, when a run fails with a retryable error. */
  retries: number;
  /**
   * The SQL flavours the job has SQL for (default: both). On another engine each run is skipped with a
   * note instead of failing, and alerting, on every tick.
   */
  engines?: readonly EngineAdapter['flavour'][];
  run(ctx: JobContext): Promise<JobResult>;
}

/** Identity function that gives a job definition its types. */
export function defineJob(definition: JobDefinition): JobDefinition {
  return definition;
}
