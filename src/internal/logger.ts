import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { scrubSecrets } from './redact.ts';

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Secret values (API keys, tokens) masked wherever they appear in a log line. */
  secrets: readonly (string | undefined)[];
  /** Folder for the JSON log file; none in tests. */
  logDir?: string;
  pretty?: boolean;
}

/** Structured logs to stdout (pretty on a terminal) and, when `logDir` is set, JSON to `logDir/crypto-etl.log`. */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets.filter((s): s is string => !!s);
  const targets: pino.TransportTargetOptions[] = [
    options.pretty
      ? {
          target: 'pino-pretty',
          options: { destination: 1, translateTime: 'UTC:yyyy-mm-dd HH:MM:ss', ignore: 'pid,hostname' },
        }
      : { target: 'pino/file', options: { destination: 1 } },
  ];
  if (options.logDir) {
    mkdirSync(options.logDir, { recursive: true });
    targets.push({ target: 'pino/file', options: { destination: join(options.logDir, 'crypto-etl.log') } });
  }
  return pino({
    level: options.level,
    redact: {
      paths: [
        '*.headers.authorization',
        '*.headers["x-cg-demo-api-key"]',
        '*.headers["x-cg-pro-api-key"]',
        '*.headers["x-dune-api-key"]',
        'apiKey',
        '*.apiKey',
      ],
      censor: '***',
    },
    hooks: {
      // Last line of defence: a key that slipped into any message or field is masked before it is written.
      streamWrite: (line) => scrubSecrets(line, secrets),
    },
    transport: { targets },
  });
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
