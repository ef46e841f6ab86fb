import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onShutdown, type SignalSource } from './shutdown.ts';

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const source: SignalSource = {
    on: (event, listener) => emitter.on(event, listener),
    off: (event, listener) => emitter.off(event, listener),
    exit: (code) => void exits.push(code),
  };
  return { source, exits, send: (signal: string) => emitter.emit(signal), listeners: () => emitter.eventNames() };
}

describe('onShutdown: the one place for SIGINT and SIGTERM', () => {
  it('behavior: the first signal aborts the signal and runs onSignal once; a second exits 130 at once', async () => {
    const fake = fakeProcess();
    const stops: string[] = [];
    const seconds: string[] = [];
    const shutdown = onShutdown({
      source: fake.source,
      onSignal: async (signal) => {
        stops.push(signal);
        await new Promise((resolve) => setTimeout(resolve, 50));
      },
      onSecondSignal: (signal) => void seconds.push(signal),
    });
    expect(shutdown.signal.aborted).toBe(false);

    fake.send('SIGTERM');
    expect(shutdown.signal.aborted).toBe(true);
    expect(shutdown.signal.reason).toBe('SIGTERM');
    await Promise.resolve();
    expect(stops).toEqual(['SIGTERM']);
    expect(fake.exits).toEqual([]);

    fake.send('SIGINT');
    expect(stops).toEqual(['SIGTERM']);
    expect(seconds).toEqual(['SIGINT']);
    expect(fake.exits).toEqual([130]);
  });

  it('error: a stop that throws exits 1', async () => {
    const fake = fakeProcess();
    onShutdown({
      source: fake.source,
      onSignal: () => {
        throw new Error('cannot close');
      },
    });
    fake.send('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fake.exits).toEqual([1]);
  });

  it('behavior: dispose stops listening', () => {
    const fake = fakeProcess();
    const shutdown = onShutdown({ source: fake.source });
    expect(fake.listeners().sort()).toEqual(['SIGINT', 'SIGTERM']);
    shutdown.dispose();
    expect(fake.listeners()).toEqual([]);
    fake.send('SIGINT');
    expect(shutdown.signal.aborted).toBe(false);
  });
});
