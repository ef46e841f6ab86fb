/**
 * crypto-etl's public surface: what a new source, table, stream or job is written against, and the app to run
 * them in. Everything else under src/ is internal and may change without notice.
 */
export { type App, type CreateAppOptions, createApp } from './app.ts';
export type { Common } from './common.ts';
export { type Config, loadConfig } from './config.ts';
export type { Db, Queryable, Schemas } from './db/types.ts';
export { type ErrorCode, EtlError, isEtlError } from './internal/errors.ts';
export type { JobContext, JobDefinition, JobResult } from './jobs/defineJob.ts';
export { defineJob } from './jobs/defineJob.ts';
export { runSteps, type Step } from './jobs/steps.ts';
export { createRunner, type Runner, type RunResult } from './pipeline/runner.ts';
export { defineSource, type SourceDeps, type SourceFactory } from './sources/source.ts';
export {
  type Batch,
  type ContractOptions,
  defineStream,
  type ExtractContext,
  type StreamDefinition,
} from './sources/stream.ts';
export {
  type ColumnSpec,
  type ColumnType,
  columnNames,
  defineTable,
  type RowOf,
  rowValues,
  type TableSpec,
  tableWrite,
} from './tables/defineTable.ts';
