import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';
import type { StreamProgress } from '../pipeline/runner.ts';

/**
 * A progress bar per stream on a terminal (rows loaded, units done of total, rate and ETA);
 * elsewhere (CI, logs) nothing: the run's own log lines tell the story.
 */
export function createProgressReporter(enabled = process.stderr.isTTY === true) {
  if (!enabled) return { onProgress: (_p: StreamProgress) => {}, stop: () => {} };
  // Loaded only for a terminal: a run under a scheduler or in CI does not pay for it.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule;
  const multi = new cliProgress.MultiBar(
    {
      format: ' {stream} |{bar}| {value}/{total} · {rows} rows loaded · {rejected} rejected · ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgressModule.SingleBar>();
  return {
    onProgress(p: StreamProgress) {
      const total = p.total ?? Math.max(p.done ?? 0, 1);
      let bar = bars.get(p.stream);
      if (!bar) {
        bar = multi.create(total, 0, { stream: p.stream, rows: 0, rejected: 0 });
        bars.set(p.stream, bar);
      }
      bar.setTotal(total);
      bar.update(p.done ?? 0, { rows: p.rowsLoaded, rejected: p.rowsRejected });
    },
    stop: () => multi.stop(),
  };
}
