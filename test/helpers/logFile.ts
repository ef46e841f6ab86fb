import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The log file's text once it holds `marker`: pino writes from its transport thread, a moment later. */
export async function readLogOnce(file: string, marker: string): Promise<string> {
  let text = '';
  for (let i = 0; i < 100 && !text.includes(marker); i++) {
    await sleep(50);
    text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  }
  return text;
}
