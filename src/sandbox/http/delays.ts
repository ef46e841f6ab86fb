/** Waits that an emulator can cancel all at once when it closes. */
export interface Delays {
  sleep(ms: number): Promise<void>;
  /** Drops every pending wait (they never resolve), so close() need not wait for them. */
  cancelAll(): void;
}

/** Tracks the timers of injected delays. */
export function createDelays(): Delays {
  const timers = new Set<NodeJS.Timeout>();
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, ms);
        timers.add(timer);
      }),
    cancelAll: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
