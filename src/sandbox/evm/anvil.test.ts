import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ANVIL_MODULE = fileURLToPath(new URL('./anvil.ts', import.meta.url));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
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
      const pid = await new Promise<number>((resolve, reject) => {
        parent.stdout.on('data', (chunk) => resolve(Number(String(chunk).trim())));
        parent.once('exit', (code) => reject(new Error(`the parent exited (${code}) before starting anvil`)));
      });
      expect(alive(pid)).toBe(true);

      parent.kill('SIGKILL');
      const deadline = Date.now() + 5_000;
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const survived = alive(pid);
      if (survived) process.kill(pid, 'SIGKILL');
      expect(survived).toBe(false);
    },
  );
});
