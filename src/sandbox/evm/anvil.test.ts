import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ANVIL_MODULE = fileURLToPath(new URL('./anvil.ts', import.meta.url));

/** Running: the PID exists and is not a zombie (dead, waiting for a PID 1 that may never reap it). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe('startAnvil', () => {
  it.runIf(process.platform === 'linux')(
    'behavior: a process killed with SIGKILL (no exit hook runs) takes its anvil with it',
    async () => {
      // A parent that starts anvil, prints its PID and waits to be killed.
      const script = `import { startAnvil } from ${JSON.stringify(ANVIL_MODULE)};
        const anvil = await startAnvil();
        process.stdout.write(anvil.pid + '\\n');
        setInterval(() => {}, 1000);`;
      const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let pid = 0;
      try {
        pid = await new Promise<number>((resolve, reject) => {
          parent.stdout.on('data', (chunk) => resolve(Number(String(chunk).trim())));
          parent.once('exit', (code) => reject(new Error(`the parent exited (${code}) before starting anvil`)));
        });
        expect(alive(pid)).toBe(true);

        parent.kill('SIGKILL');
        const deadline = Date.now() + 5_000;
        while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(alive(pid)).toBe(false);
      } finally {
        parent.kill('SIGKILL');
        if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      }
    },
  );
});
