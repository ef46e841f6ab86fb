import type { Config } from './config.ts';
import type { Db } from './db/types.ts';
import type { Clock } from './internal/clock.ts';
import type { Logger } from './internal/logger.ts';
import type { Metrics } from './internal/metrics.ts';

/**
 * The dependencies every part of a running product shares, built once by `createApp` and passed to every factory
 * (the runner, the catalogue and its sources, the job runner, both executors, the alert sender, the server).
 * Each factory declares what it takes as a `Pick` of this, so a test passes just those; nothing reaches for a
 * global instead.
 */
export interface Common {
  config: Config;
  db: Db;
  log: Logger;
  metrics: Metrics;
  /** What the product takes for "now" when it decides by the calendar (the sandbox and tests pin it). */
  now: Clock;
  /** Aborted when the app closes, which is how every command's shutdown ends (internal/shutdown.ts). */
  shutdown: AbortSignal;
}
