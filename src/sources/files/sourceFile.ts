import type { Readable } from 'node:stream';

/** One input file, local or in S3: what the loader needs to know about it and how to read it. */
export interface SourceFile {
  /** Where it is, as shown to people and recorded in `etl.loaded_files`: an absolute path or `s3://bucket/key`. */
  uri: string;
  /** Bytes as stored (compressed, for a gzip file): the progress bar's total. */
  size: number;
  /** The content's checksum, `sha256:…` or `etag:…` (S3); a file whose checksum is already loaded is skipped. */
  checksum(): Promise<string>;
  /** The raw bytes, as stored. */
  open(signal?: AbortSignal): Promise<Readable>;
}
