import type { Command } from 'commander';
import { EtlError } from '../../internal/errors.ts';
import { onShutdown } from '../../internal/shutdown.ts';
import { exportToLake } from '../../lake/exportToLake.ts';
import { openDestination } from '../../lake/openDestination.ts';
import { pickTables } from '../../lake/tables.ts';
import { bootstrap, fail, withDatabase } from '../bootstrap.ts';
import { COMMAND_LIST } from '../commandList.ts';

export function registerExport(program: Command): void {
  program
    .command(COMMAND_LIST.export.usage)
    .description(COMMAND_LIST.export.summary)
    .option('--to <location>', 'a folder or s3://bucket/prefix (default LAKE_URL, else <DATA_DIR>/lake)')
    .option('--full', 'ignore the export watermarks and rewrite every partition')
    .action(async (names: string[], opts: { to?: string; full?: boolean }) => {
      const { config, log } = bootstrap();
      try {
        const tables = pickTables(names);
        if ('unknown' in tables) {
          throw new EtlError(
            'ETL_INPUT_INVALID',
            `Unknown table(s) ${tables.unknown.join(', ')}: use all or names of the lake's tables`,
          );
        }
        const url = opts.to ?? config.lake.url;
        const shutdown = onShutdown();
        const results = await withDatabase(config, log, (db) =>
          exportToLake({
            db,
            destination: openDestination(config, url),
            tables,
            log,
            signal: shutdown.signal,
            full: opts.full,
            blockRange: config.lake.blockRange,
            rowGroupBytes: config.lake.rowGroupBytes,
            overlapSeconds: config.lake.overlapSeconds,
            onPartition: (p) =>
              process.stderr.write(`  ${p.table} ${p.partition} (${p.done}/${p.of}) ${p.rows} rows\n`),
          }),
        );
        for (const r of results) {
          process.stdout.write(
            `${r.table}: ${r.partitions} partition(s) written, ${r.rowsWritten} rows, ${r.bytesWritten} bytes; ${r.rowsInLake} rows in the lake\n`,
          );
        }
        process.stdout.write(`lake: ${url} (manifest: _manifest.json)\n`);
      } catch (error) {
        fail(error);
      }
    });
}
