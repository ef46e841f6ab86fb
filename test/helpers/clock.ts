/**
 * The instants the suites that decide by the calendar run at: the first minutes of a month (and of a year:
 * "this month up to yesterday" is last month's last day), the last minutes of a month, and an ordinary noon.
 * Suites pass one to the product and the emulators as their clock, so no result depends on when CI runs.
 */
export const CLOCK_CASES = [
  { name: '00:05 UTC on the 1st of a month', iso: '2026-01-01T00:05:00.000Z' },
  { name: '23:55 UTC on the last day of a month', iso: '2026-02-28T23:55:00.000Z' },
  { name: '12:00 UTC on an ordinary day', iso: '2026-06-17T12:00:00.000Z' },
] as const;

/** The ordinary noon, for suites that need one fixed instant. */
export const FIXED_NOW_MS = Date.parse(CLOCK_CASES[2].iso);

/**
 * A clock (ms) that starts at `iso` and runs on at the real pace: for emulators whose executions progress with
 * time (Dune's pending → executing → completed). A suite takes minutes at most, so the day it sees stays the one
 * it starts on (the latest case starts five minutes before midnight).
 */
export function runningClock(iso: string): () => number {
  const offset = Date.parse(iso) - Date.now();
  return () => Date.now() + offset;
}

/**
 * A clock that starts at `iso` and moves `stepMs` on at each reading, whatever the real time: each run (and each
 * request an emulator answers) sees its own instant, so two runs of a snapshot job write two distinct snapshots.
 */
export function steppingClock(iso: string, stepMs = 60_000): () => Date {
  let at = Date.parse(iso);
  return () => {
    at += stepMs;
    return new Date(at);
  };
}
