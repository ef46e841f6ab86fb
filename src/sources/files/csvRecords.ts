import { type CsvError, Parser } from 'csv-parse';
import { EtlError } from '../../internal/errors.ts';
import { type BadByte, createUtf8Check, type Utf8Check } from './utf8Check.ts';

/** How the file's bytes are text: UTF-8 (checked: a record with other bytes is flagged) or Latin-1 (ISO 8859-1). */
export type FileEncoding = 'utf8' | 'latin1';

/** The records parsed from one chunk of the file, in file order. */
export interface RecordBatch {
  records: string[][];
  /** Per record, the line it starts on (1-based, quoted newlines counted). */
  lines: number[];
  /** By record index: the first byte of the record that is not UTF-8. Empty unless some are. */
  badBytes: Map<number, number>;
}

export interface CsvRecordsOptions {
  /** The file, as named in errors. */
  uri: string;
  encoding: FileEncoding;
  /** A record larger than this (in characters) fails the file: an unclosed quote swallowing the rest, not data. */
  maxRecordChars: number;
}

/** The part of csv-parse's engine its own stream wrappers drive, and so does this module. */
interface CsvEngine {
  info: { bytes: number };
  parse(
    buf: Buffer | undefined,
    end: boolean,
    push: (record: string[]) => void,
    close: () => void,
  ): CsvError | undefined;
}

/**
 * The check a file's bytes need, by its first chunk. csv-parse reads by the BOM when there is one: a UTF-8 BOM
 * is UTF-8 whatever `encoding` says (so checked), a UTF-16 BOM is UTF-16 (not UTF-8, so not checked as such).
 */
function checkFor(first: Buffer, encoding: FileEncoding): Utf8Check | undefined {
  if (first[0] === 0xff && first[1] === 0xfe) return undefined;
  const utf8Bom = first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf;
  return encoding === 'utf8' || utf8Bom ? createUtf8Check() : undefined;
}

/** Newlines inside quoted fields: each one moves the next record's line number on. */
function embeddedNewlines(fields: readonly string[]): number {
  let n = 0;
  for (const field of fields) {
    for (let at = field.indexOf('\n'); at !== -1; at = field.indexOf('\n', at + 1)) n++;
  }
  return n;
}

/**
 * The records of a CSV byte stream, a batch per chunk read, each with the line it starts on. csv-parse's engine
 * is driven directly rather than through its stream: at each record its byte position is known, which is how a
 * record learns which bytes are its own, and a parse error comes after every record before it (a stream drops
 * the records it buffered), naming the line where the failing record starts.
 * @throws EtlError `ETL_INPUT_INVALID` for an unclosed quote or a record over `maxRecordChars`.
 */
export async function* csvRecords(
  bytes: AsyncIterable<Buffer>,
  options: CsvRecordsOptions,
): AsyncGenerator<RecordBatch> {
  const parser = new Parser({
    bom: true,
    encoding: options.encoding,
    relax_column_count: true,
    relax_quotes: true,
    record_delimiter: ['\r\n', '\n'],
    max_record_size: options.maxRecordChars,
  });
  // NOTE: `api` is the engine behind csv-parse's Node stream (and its web stream, and its sync parse).
  const engine = (parser as unknown as { api: CsvEngine }).api;
  let check: Utf8Check | undefined;
  // Bad bytes found ahead of the parser, in stream order, each claimed by the record whose bytes hold it.
  let pending: BadByte[] = [];
  let batch: RecordBatch = { records: [], lines: [], badBytes: new Map() };
  let line = 1;
  const push = (record: string[]) => {
    if (pending.length > 0 && (pending[0] as BadByte).at < engine.info.bytes) {
      batch.badBytes.set(batch.records.length, (pending[0] as BadByte).byte);
      pending = pending.filter((b) => b.at >= engine.info.bytes);
    }
    batch.records.push(record);
    batch.lines.push(line);
    // NOTE: counted here rather than read from csv-parse's `info.lines`, which counts a CRLF inside quotes twice.
    line += 1 + embeddedNewlines(record);
  };
  // One chunk in (undefined: the end), its records out; the bytes are checked before the parser claims them.
  const feed = (chunk: Buffer | undefined) => {
    const bad = chunk === undefined ? check?.end() : check?.scan(chunk);
    if (bad && bad.length > 0) pending = pending.concat(bad);
    const error = engine.parse(chunk, chunk === undefined, push, () => {});
    const done = batch;
    batch = { records: [], lines: [], badBytes: new Map() };
    return { done, error };
  };
  let first = true;
  for await (const chunk of bytes) {
    if (first) check = checkFor(chunk, options.encoding);
    first = false;
    const { done, error } = feed(chunk);
    if (done.records.length > 0) yield done;
    if (error) throw csvFailure(error, options, line);
  }
  const { done, error } = feed(undefined);
  if (done.records.length > 0) yield done;
  if (error) throw csvFailure(error, options, line);
}

function csvFailure(error: CsvError, options: CsvRecordsOptions, line: number): EtlError {
  const what =
    error.code === 'CSV_QUOTE_NOT_CLOSED'
      ? 'Quote Not Closed: a quote opened in the record starting on this line never closes'
      : error.code === 'CSV_MAX_RECORD_SIZE'
        ? `Max Record Size: the record starting on this line is over ${options.maxRecordChars} characters (an unclosed quote?)`
        : error.message;
  return new EtlError(
    'ETL_INPUT_INVALID',
    `${options.uri} line ${line}: ${what}; fix the file (nothing of it was loaded)`,
    {
      cause: error,
    },
  );
}
