import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('createLogger', () => {
  it('behavior: a secret value is masked wherever it appears in a line, message or field', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'crypto-etl-log-'));
    const log = createLogger({ level: 'info', secrets: ['CG-supersecret-key'], logDir });
    log.info(
      { url: 'https://api.example/x?key=CG-supersecret-key', apiKey: 'CG-supersecret-key' },
      'calling with CG-supersecret-key',
    );
    log.info('done');
    const file = join(logDir, 'crypto-etl.log');
    // The file is written by pino's transport thread: wait for both lines.
    let text = '';
    for (let i = 0; i < 100 && !text.includes('"done"'); i++) {
      await sleep(50);
      text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    }
    expect(text).toContain('calling with ***');
    expect(text).toContain('key=***');
    expect(text).not.toContain('supersecret');
  });
});
