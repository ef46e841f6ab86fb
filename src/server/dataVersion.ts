import { createHash } from 'node:crypto';
import type { Db } from '../db/types.ts';

/**
 * The version of the data the API serves: a value that changes whenever a load or a rollup refresh commits.
 * Answers cached under one version are never served under another.
 */
export interface DataVersion {
  /**
   * The current version: never older than `checkEveryMs` for other processes' commits, and counting every commit
   * of this process; reads the database at most twice per `checkEveryMs` (concurrent callers share the read).
   */
  current(): Promise<string>;
  /**
   * The current version when it is known without waiting for a read (what `current()` would answer at once),
   * else undefined: the answer cache asks this first and awaits `current()` only then.
   */
  known(): string | undefined;
}

export interface DataVersionOptions {
  /** The reader's database: `etl.watermarks` is read from it. */
  db: Db;
  /** How many times this process committed data (checkpoints, finished runs): a change is read at once. */
  localCommits: () => number;
  /** How long a version read from the database is trusted: the staleness bound for other processes' commits. */
  checkEveryMs: number;
  /** Monotonic milliseconds; tests pass their own to step past `checkEveryMs` without waiting. */
  now?: () => number;
}

/**
 * Every checkpoint commits its stream's watermark with its rows, and every rollup refresh its `rollup:<name>`
 * watermark with the refreshed rows (`etl.watermarks.updated_at` is set by each write). So the set of
 * `(stream, updated_at)` changes with every commit of data, whichever process made it, and reading it is cheap:
 * one row per stream. A digest of all of them, not `max(updated_at)` alone, so that an update stamped earlier
 * than another stream's (clocks of two machines) still counts. Read again after half of `checkEveryMs` (waited
 * for only once `checkEveryMs` is reached), and at once when this process has committed since the last read.
 */
export function createDataVersion(options: DataVersionOptions): DataVersion {
  const { db, localCommits, checkEveryMs } = options;
  const now = options.now ?? (() => performance.now());
  /** The last digest read, when its read began, and how many commits this process had made by then. */
  let stored: { digest: string; at: number; local: number } | undefined;
  let reading: Promise<void> | undefined;

  async function read(local: number): Promise<void> {
    const started = now();
    const rows = await db.query<{ stream: string; updated_at: Date | string }>(
      `SELECT stream, updated_at FROM ${db.schemas.etl}.watermarks`,
    );
    const hash = createHash('sha256');
    rows.sort((a, b) => (a.stream < b.stream ? -1 : 1));
    for (const row of rows) hash.update(`${row.stream}\0${new Date(row.updated_at).getTime()}\n`);
    // Trusted from when the read began: a commit after that instant may be missing from it.
    stored = { digest: `${rows.length}.${hash.digest('base64url').slice(0, 16)}`, at: started, local };
  }

  /** The read in flight, begun now if none is; its failure is the awaiting caller's to handle, not unhandled. */
  function readNow(local: number): Promise<void> {
    if (!reading) {
      reading = read(local).finally(() => {
        reading = undefined;
      });
      reading.catch(() => {});
    }
    return reading;
  }

  /** The version known for a request asked now, if it need not wait; starts a read past half the bound. */
  function known(asked: number): string | undefined {
    // Counted before the read: a commit of this process counted here is in what the read finds.
    const local = localCommits();
    const age = stored ? asked - stored.at : Number.POSITIVE_INFINITY;
    // The count is part of the version: a checkpoint that moves no watermark (none given) changes it too.
    const version = stored && stored.local === local ? `${local}.${stored.digest}` : undefined;
    if (version && age < checkEveryMs / 2) return version;
    // Past half the bound a read begins, but requests wait for it only past the bound itself (or after a
    // commit of this process): under load the read queues for a connection like any query, and every
    // request waiting on it would stall for as long.
    if (version && age < checkEveryMs) {
      readNow(local);
      return version;
    }
    return undefined;
  }

  return {
    known: () => known(now()),
    async current() {
      // Ages are counted to when this request came: a read begun after it is fresh enough, however slow it was.
      const asked = now();
      for (;;) {
        const version = known(asked);
        if (version !== undefined) return version;
        await readNow(localCommits());
      }
    },
  };
}
