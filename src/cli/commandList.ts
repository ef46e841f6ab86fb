/**
 * Every command's usage and summary, declared once: `crypto-etl --help` lists them from here without loading
 * any command (each pulls in a large part of the product), and each command declares itself with its entry.
 */
export const COMMAND_LIST = {
  start: {
    usage: 'start',
    summary:
      'Migrate, run the initial load, then keep the schedule and serve the dashboard and API (the default way to run)',
  },
  run: {
    usage: 'run <job>',
    summary:
      'Run one job now and wait for it; with REDIS_URL, enqueue it for the workers (--wait follows it). Exits 1 when it fails',
  },
  status: {
    usage: 'status',
    summary: 'Print each job with its schedule, next run and last runs (durations, rows, errors), then the watermarks',
  },
  migrate: {
    usage: 'migrate',
    summary: 'Apply the numbered migrations and (re)create the warehouse views and rollup tables',
  },
  backfill: {
    usage: 'backfill <table> <location>',
    summary:
      'Load CSV files (gzip too) into a staging table: a local file or folder, s3://bucket/key or s3://bucket/dir/. ' +
      'The first line names the columns; bad rows go to etl.rejects; each file loads once, in one transaction',
  },
  serve: {
    usage: 'serve',
    summary: 'Serve the dashboard (/), the API (OpenAPI at /docs) and /metrics, without running the schedule',
  },
  worker: {
    usage: 'worker',
    summary: 'Process queued jobs (needs REDIS_URL); start as many as you like, on as many machines',
  },
  scheduler: {
    usage: 'scheduler',
    summary:
      'Register every job schedule (cron, UTC) as a BullMQ job scheduler, then exit (needs REDIS_URL; idempotent)',
  },
  dune: { usage: 'dune', summary: 'Dune Analytics: push the repo queries, load any query, status' },
  export: {
    usage: 'export <tables...>',
    summary:
      'Export tables (or all) to Parquet in a folder or s3://bucket/prefix (--to): hive folders, zstd, _manifest.json; ' +
      'incremental by watermark, files appear whole',
  },
  lake: { usage: 'lake', summary: 'The Parquet lake: lake query "<sql>" runs DuckDB over the exported files' },
} as const;

export type CommandName = keyof typeof COMMAND_LIST;
