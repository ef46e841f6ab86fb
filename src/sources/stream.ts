import type { z } from 'zod';
import { EtlError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';

/** One extracted page: raw upstream records (validated by the runner) and the cursor to save after them. */
export interface Batch<C> {
  records: readonly unknown[];
  cursor: C;
  /** Units of work done so far and in all (pages, coins, blocks), for progress bars. */
  progress?: { done: number; total?: number };
}

export interface ExtractContext<C> {
  /** The watermark saved by the last successful batch, undefined on the first run. */
  cursor: C | undefined;
  signal: AbortSignal;
  log: Logger;
}

/**
 * A stream: where its rows land, their stable key, how a record is validated, and how pages are extracted.
 * Streams never touch the database; the runner owns every side effect.
 */
export interface StreamDefinition<Rec extends Record<string, unknown> = Record<string, unknown>, C = unknown> {
  /** Watermark key and the name in `etl.runs` / `etl.rejects`, e.g. `coingecko.prices`. */
  name: string;
  /** Staging table, unqualified: the runner puts it in `STAGING_SCHEMA`. */
  table: string;
  columns: readonly (keyof Rec & string)[];
  key: readonly (keyof Rec & string)[];
  /** `update` merges changed rows (latest wins); `ignore` keeps the first row for a key. */
  onConflict: 'ignore' | 'update';
  /** Columns that change on every load (a snapshot's time) and alone never make a row changed. */
  volatile?: readonly (keyof Rec & string)[];
  /**
   * Validates one raw record and maps it to its row; a failure sends the record to `etl.rejects`. Its object
   * shape is the stream's contract: a field whose schema accepts null may be absent, any other is required.
   */
  record: z.ZodType<Rec>;
  /** What the contract adds to the schema: nullable fields still required, fields not stored, the reject share. */
  contract?: ContractOptions;
  extract(ctx: ExtractContext<C>): AsyncIterable<Batch<C>>;
}

/** Identity function that gives a stream definition its types. */
export function defineStream<Rec extends Record<string, unknown>, C>(
  definition: StreamDefinition<Rec, C>,
): StreamDefinition<Rec, C> {
  return definition;
}

/** What a stream declares beyond its record schema. */
export interface ContractOptions {
  /** Nullable fields that must still be present in every record: their absence fails the run. */
  required?: readonly string[];
  /** Upstream fields the stream does not store, so their presence is not recorded as drift. */
  ignored?: readonly string[];
  /** Largest share of a batch that may be rejected before the run fails; default `REJECT_MAX_SHARE`. */
  rejectMaxShare?: number;
}

/**
 * An answer with no records where the upstream always has some (a coin list, the first page of a market list):
 * failing the run, retryably, instead of letting it succeed having loaded nothing.
 */
export function emptyAnswer(what: string): EtlError {
  return new EtlError(
    'ETL_UPSTREAM_EMPTY',
    `${what} answered with no records, which it never does when working: nothing was written and the watermark is unchanged`,
    {
      retryable: true,
      details: {
        hint: 'usually a passing upstream fault; if it persists check the API plan and the upstream status page',
      },
    },
  );
}
