import { EtlError } from '../internal/errors.ts';
import { pickTables } from '../lake/tables.ts';
import type { CatalogueDeps } from './catalogue.ts';
import { defineJob } from './defineJob.ts';
import { runSteps } from './steps.ts';

/** The scheduled Parquet export of the growing tables to `LAKE_URL` (PostgreSQL and PGlite: it reads by COPY). */
export function lakeJobs(deps: CatalogueDeps) {
  return [
    defineJob({
      name: 'lake-export',
      description:
        'Export what changed in the growing tables to Parquet files in LAKE_URL (hive folders, _manifest.json)',
      schedule: '45 * * * *',
      timeoutMs: 60 * 60_000,
      retries: 1,
      engines: ['postgres'],
      run: (ctx) =>
        runSteps('lake-export', ctx, [
          {
            name: 'lake.export',
            run: async ({ db, log, signal }) => {
              const { lake } = deps.config;
              const tables = pickTables(lake.tables);
              if ('unknown' in tables) {
                throw new EtlError(
                  'ETL_CONFIG_INVALID',
                  `LAKE_EXPORT_TABLES names unknown tables: ${tables.unknown.join(', ')}`,
                );
              }
              // DuckDB and the S3 client load when an export runs, not with every command that builds the catalogue.
              const [{ exportToLake }, { openDestination }] = await Promise.all([
                import('../lake/exportToLake.ts'),
                import('../lake/openDestination.ts'),
              ]);
              const results = await exportToLake({
                db,
                destination: openDestination(deps.config, lake.url),
                tables,
                log,
                signal,
                blockRange: lake.blockRange,
                rowGroupBytes: lake.rowGroupBytes,
                overlapSeconds: lake.overlapSeconds,
              });
              return { rowsLoaded: results.reduce((n, r) => n + r.rowsWritten, 0) };
            },
          },
        ]),
    }),
  ];
}
