import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLogOnce } from '../../test/helpers/logFile.ts';
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
    const text = await readLogOnce(join(logDir, 'crypto-etl.log'), '"done"');
    expect(text).toContain('calling with ***');
    expect(text).toContain('key=***');
    expect(text).not.toContain('supersecret');
  });
});
