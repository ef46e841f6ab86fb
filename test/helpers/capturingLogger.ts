import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../src/internal/logger.ts';

/** A logger that keeps every line it writes (parsed JSON), for tests that look for what was logged. */
export function capturingLogger(level = 'info'): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: pino({ level }, stream), lines };
}
