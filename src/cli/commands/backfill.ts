import cliProgress from 'cli-progress';
import { type Command, Option } from 'commander';
import { configSecrets } from '../../config.ts';
import { isEtlError } from '../../internal/errors.ts';
import { onShutdown } from '../../internal/shutdown.ts';
import type { FileResult } from '../../pipeline/files/loadFile.ts';
import { createRunner } from '../../pipeline/runner.ts';
import type { FileEncoding } from '../../sources/files/csvRecords.ts';
import { bootstrap, fail, withDatabase } from '../bootstrap.ts';
import { COMMAND_LIST } from '../commandList.ts';
import { OUTCOME_MARK } from '../outcomeMark.ts';

const n = (v: number) => v.toLocaleString('en-US');

/** One line per file: what was read, loaded, skipped as duplicate and rejected, at what rate. */
export function describeFile(r: FileResult): string {
  if (r.status === 'skipped') return `- ${r.uri}: skipped, loaded already (${r.loadedAt?.toISOString()})`;
  const rate = Math.round(r.rowsRead / Math.max(r.durationMs / 1000, 0.001));
  return `${OUTCOME_MARK[r.rowsRejected > 0 ? 'succeeded_with_rejects' : 'succeeded']} ${r.uri}: ${n(r.rowsRead)} rows read, ${n(r.rowsLoaded)} loaded, ${n(r.duplicates)} duplicates, ${n(r.rowsRejected)} rejected (${(r.durationMs / 1000).toFixed(1)} s, ${n(rate)} rows/s)`;
}

/** A bar per file on a terminal: bytes read of the file's size, rows, rows/s and ETA; nothing elsewhere. */
function progressBar(enabled = process.stderr.isTTY === true) {
  if (!enabled) return { start: (_f: { uri: string; bytes: number }) => {}, update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: ' {file} |{bar}| {percentage}% · {rows} rows · {rate} rows/s · {rejected} rejected · ETA {eta_formatted}',
      hideCursor: true,
      stream: process.stderr,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = 0;
  return {
    start(file: { uri: string; bytes: number }) {
      bar.stop();
      started = Date.now();
      bar.start(Math.max(file.bytes, 1), 0, { file: file.uri.split('/').pop(), rows: 0, rate: 0, rejected: 0 });
    },
    update(p: { bytesRead: number; rowsRead: number; rowsRejected: number }) {
      const rate = Math.round(p.rowsRead / Math.max((Date.now() - started) / 1000, 0.001));
      bar.update(p.bytesRead, { rows: n(p.rowsRead), rate: n(rate), rejected: n(p.rowsRejected) });
    },
    stop: () => bar.stop(),
  };
}

interface BackfillFlags {
  force?: boolean;
  chunkRows: string;
  encoding: FileEncoding;
}

export function registerBackfill(program: Command): void {
  program
    .command(COMMAND_LIST.backfill.usage)
    .description(COMMAND_LIST.backfill.summary)
    .option('--force', 'load files already recorded in etl.loaded_files again (rows already in are still skipped)')
    .option('--chunk-rows <n>', 'rows per COPY chunk', '25000')
    .addOption(
      new Option('--encoding <name>', 'how the files are text: utf8 (rows with other bytes are rejected) or latin1')
        .choices(['utf8', 'latin1'])
        .default('utf8'),
    )
    .action(async (table: string, location: string, opts: BackfillFlags) => {
      const { config, log } = bootstrap();
      const bar = progressBar();
      const shutdown = onShutdown();
      try {
        await withDatabase(config, log, async (db) => {
          // Loaded here, not at start-up: the AWS SDK and the CSV stack cost memory only when a backfill runs.
          const { backfill } = await import('../../pipeline/files/backfill.ts');
          const result = await backfill({
            db,
            config,
            log,
            runner: createRunner({
              db,
              log,
              secrets: configSecrets(config),
              rejectMaxShare: config.rejectMaxShare,
              heartbeatMs: config.runHeartbeatMs,
            }),
            table,
            location,
            force: opts.force,
            signal: shutdown.signal,
            chunkRows: Number(opts.chunkRows),
            encoding: opts.encoding,
            onFile: (f) => bar.start(f),
            onProgress: (p) => bar.update(p),
          });
          bar.stop();
          for (const file of result.files) process.stdout.write(`${describeFile(file)}\n`);
        });
        const peakMb = process.resourceUsage().maxRSS / 1024;
        process.stdout.write(`peak memory ${peakMb.toFixed(0)} MB\n`);
      } catch (error) {
        bar.stop();
        fail(error, isEtlError(error, 'ETL_ABORTED') ? 130 : 1);
      }
    });
}
