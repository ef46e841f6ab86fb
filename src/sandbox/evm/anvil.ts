import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Node's `process.arch` → the suffix of the `@foundry-rs/anvil-<platform>-<arch>` packages. */
const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/**
 * Path of the anvil binary shipped by the devDependency `@foundry-rs/anvil` (its platform package), or
 * undefined when it is not installed (e.g. a production install). The binary itself, not the `npx` wrapper,
 * so the caller holds a PID it can kill.
 */
export function anvilBinary(): string | undefined {
  const exe = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  try {
    return createRequire(import.meta.url).resolve(
      `@foundry-rs/anvil-${process.platform}-${ARCH[process.arch] ?? process.arch}/bin/${exe}`,
    );
  } catch {
    return undefined;
  }
}

export interface Anvil {
  url: string;
  port: number;
  pid: number;
  /** One JSON-RPC call; throws on a JSON-RPC error. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** One batch; results in request order, throws on the first JSON-RPC error. */
  batch<T = unknown>(calls: readonly { method: string; params?: unknown[] }[]): Promise<T[]>;
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bind to 0, read, release). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** JSON-RPC over fetch, for the sandbox, tests and benches that talk to a node directly. */
export function jsonRpc(url: string) {
  let id = 0;
  async function post(body: unknown): Promise<unknown> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return response.json();
  }
  type Reply = { id: number; result?: unknown; error?: { code: number; message: string } };
  const unwrap = (reply: Reply, method: string) => {
    if (reply.error) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
    return reply.result;
  };
  return {
    async rpc<T>(method: string, params: unknown[] = []): Promise<T> {
      return unwrap((await post({ jsonrpc: '2.0', id: ++id, method, params })) as Reply, method) as T;
    },
    async batch<T>(calls: readonly { method: string; params?: unknown[] }[]): Promise<T[]> {
      if (calls.length === 0) return [];
      const first = id + 1;
      const body = calls.map((c) => ({ jsonrpc: '2.0', id: ++id, method: c.method, params: c.params ?? [] }));
      const replies = (await post(body)) as Reply[];
      const out: T[] = new Array(calls.length);
      for (const reply of replies) out[reply.id - first] = unwrap(reply, calls[reply.id - first]?.method ?? '') as T;
      return out;
    },
  };
}

/** util-linux's setpriv (in every Debian and Ubuntu), which can ask the kernel to kill a child with its parent. */
const SETPRIV = '/usr/bin/setpriv';

/**
 * The command that runs `bin args`: on Linux under `setpriv --pdeathsig KILL`, which then execs it (same PID),
 * so the kernel kills it when this process dies, even by SIGKILL, when no exit hook runs.
 */
export function orphanProof(bin: string, args: readonly string[]): [string, string[]] {
  if (process.platform !== 'linux' || !existsSync(SETPRIV)) return [bin, [...args]];
  return [SETPRIV, ['--pdeathsig', 'KILL', bin, ...args]];
}

/**
 * Starts anvil on a free port and waits until it answers. `close()` kills it; a caller that forgets is still
 * covered by the exit hook, and on Linux a caller killed outright by its parent-death signal, so no anvil
 * outlives the process that started it.
 */
export async function startAnvil(args: readonly string[] = []): Promise<Anvil> {
  const bin = anvilBinary();
  if (!bin) throw new Error('anvil is not installed: run npm install (devDependency @foundry-rs/anvil)');
  const port = await freePort();
  const child: ChildProcess = spawn(...orphanProof(bin, ['--port', String(port), '--silent', ...args]), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const url = `http://127.0.0.1:${port}`;
  const client = jsonRpc(url);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited with ${child.exitCode}: ${stderr}`);
    try {
      await client.rpc('eth_chainId');
      break;
    } catch {
      if (Date.now() > deadline) {
        kill();
        throw new Error(`anvil did not answer on ${url} within 15 s: ${stderr}`);
      }
      await sleep(50);
    }
  }
  return {
    url,
    port,
    pid: child.pid as number,
    rpc: client.rpc,
    batch: client.batch,
    async close() {
      process.off('exit', kill);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(3_000).then(kill)]);
    },
  };
}
