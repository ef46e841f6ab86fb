import type { Config } from '../config.ts';
import type { Clock } from '../internal/clock.ts';
import type { Logger } from '../internal/logger.ts';

/** What every source is built from: the configuration, a logger, the product's clock, and an HTTP status hook. */
export interface SourceDeps {
  config: Config;
  log: Logger;
  /** Called with every upstream answer's status (the metrics' per-upstream counters). */
  onResponse?: (upstream: string, status: number) => void;
  now?: Clock;
}

/**
 * A source: one upstream's streams (or stream factories, for ranges given at run time), built from its
 * dependencies. The jobs in `jobs/` call it on each run, so a changed setting needs no restart.
 */
export type SourceFactory<S> = (deps: SourceDeps) => S;

/** Identity function that gives a source its types. */
export function defineSource<S>(factory: SourceFactory<S>): SourceFactory<S> {
  return factory;
}
