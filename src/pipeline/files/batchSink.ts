import type { Reject } from '../rejects.ts';

export interface BatchSinkOptions {
  /** Loads one chunk of rows; resolves to how many were inserted. */
  writeRows(rows: unknown[][]): Promise<number>;
  writeRejects(rejects: Reject[]): Promise<void>;
  chunkRows: number;
  rejectBatch: number;
  /** After each chunk: the rows it inserted. */
  onChunk(inserted: number): void;
}

export interface BatchSink {
  /** Queues a row; returns a promise to await when a chunk was handed over (backpressure), else nothing. */
  add(row: unknown[]): Promise<void> | undefined;
  reject(reject: Reject): Promise<void> | undefined;
  /** Writes what is left and waits for every write. */
  finish(): Promise<void>;
  /** Waits for the write in flight to end, ignoring its outcome (before a rollback on the same connection). */
  settle(): Promise<void>;
}

/**
 * Gathers rows and rejects into chunks and writes them in order on the load's connection, one write in flight
 * while the next chunk fills: the database and this process work at the same time, and memory holds two
 * chunks at most. Nothing is awaited per row.
 */
export function createBatchSink(options: BatchSinkOptions): BatchSink {
  let rows: unknown[][] = [];
  let rejects: Reject[] = [];
  let inflight: Promise<void> = Promise.resolve();
  const enqueue = async (work: () => Promise<void>) => {
    await inflight;
    inflight = work();
    inflight.catch(() => {});
  };
  const flushRows = () => {
    const chunk = rows;
    rows = [];
    return enqueue(async () => options.onChunk(await options.writeRows(chunk)));
  };
  const flushRejects = () => {
    const batch = rejects;
    rejects = [];
    return enqueue(() => options.writeRejects(batch));
  };
  return {
    add(row) {
      rows.push(row);
      return rows.length >= options.chunkRows ? flushRows() : undefined;
    },
    reject(reject) {
      rejects.push(reject);
      return rejects.length >= options.rejectBatch ? flushRejects() : undefined;
    },
    async finish() {
      if (rows.length > 0) await flushRows();
      if (rejects.length > 0) await flushRejects();
      await inflight;
    },
    settle: () => inflight.catch(() => {}),
  };
}
