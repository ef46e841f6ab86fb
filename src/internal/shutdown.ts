/** The signals a command stops on: Ctrl-C, and what service managers and containers send. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Where signals come from and how the process ends: `process`, or a stand-in in tests. */
export interface SignalSource {
  on(event: StopSignal, listener: () => void): unknown;
  off(event: StopSignal, listener: () => void): unknown;
  exit(code: number): void;
}

export interface ShutdownOptions {
  /**
   * Runs once, at the first signal (after `signal` is aborted): close what is open, then exit. Should it throw,
   * the error is printed and the process exits 1.
   */
  onSignal?: (signal: StopSignal) => unknown;
  /** A second signal while the first is handled: say why, before the process exits 130 at once. */
  onSecondSignal?: (signal: StopSignal) => void;
  /** Default `process`. */
  source?: SignalSource;
}

export interface Shutdown {
  /** Aborted at the first SIGINT or SIGTERM (its reason the signal's name): long work stops at a checkpoint. */
  readonly signal: AbortSignal;
  /** Stops listening for the signals. */
  dispose(): void;
}

/**
 * The one place a command hears SIGINT and SIGTERM. The first aborts `signal` and runs `onSignal`; a second one
 * exits at once with 130 (the shell's code for an interrupted command), so a stuck stop can always be cut short.
 */
export function onShutdown(options: ShutdownOptions = {}): Shutdown {
  const source = options.source ?? process;
  const controller = new AbortController();
  const listeners = STOP_SIGNALS.map((name) => {
    const listener = () => {
      if (controller.signal.aborted) {
        options.onSecondSignal?.(name);
        source.exit(130);
        return;
      }
      controller.abort(name);
      Promise.resolve()
        .then(() => options.onSignal?.(name))
        .catch((error: unknown) => {
          process.stderr.write(`crypto-etl: stopping failed: ${error instanceof Error ? error.message : error}\n`);
          source.exit(1);
        });
    };
    source.on(name, listener);
    return [name, listener] as const;
  });
  return {
    signal: controller.signal,
    dispose() {
      for (const [name, listener] of listeners) source.off(name, listener);
    },
  };
}
