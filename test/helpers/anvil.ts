import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** The anvil binary itself (not the `npx` wrapper), so the test holds a PID it can kill. */
export const ANVIL_BIN = 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil';

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

/** JSON-RPC over fetch, for tests and benches that talk to a node directly. */
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

/**
 * Starts anvil on a free port and waits until it answers. `close()` kills it; a test that forgets is still
 * covered by the exit hook, so no anvil outlives the test process.
 */
export async function startAnvil(args: readonly string[] = []): Promise<Anvil> {
  if (!existsSync(ANVIL_BIN)) {
    throw new Error(`anvil is not installed at ${ANVIL_BIN}: run npm install (devDependency @foundry-rs/anvil)`);
  }
  const port = await freePort();
  const child: ChildProcess = spawn(ANVIL_BIN, ['--port', String(port), '--silent', ...args], {
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
