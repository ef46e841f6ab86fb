import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One scripted answer. `cut` sends the headers (the whole body's length declared) and half the body, then
 * stalls, resets the connection (RST) or closes it cleanly (FIN).
 */
export interface Scripted {
  status?: number;
  body: string;
  headers?: Record<string, string>;
  cut?: 'stall' | 'reset' | 'close';
}

export interface ScriptedUpstream {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Path of each request received, in order, and when it came (ms). */
  readonly paths: string[];
  readonly hits: number[];
  /** Answers the next requests with these, in order; after them, the fallback. Forgets what was received. */
  play(answers: Scripted[]): void;
  close(): Promise<void>;
}

/** A local upstream answering from a script of responses: for the faults a mock at the fetch level cannot make. */
export async function startScriptedUpstream(fallback: Scripted): Promise<ScriptedUpstream> {
  let script: Scripted[] = [];
  const paths: string[] = [];
  const hits: number[] = [];
  const server = createServer((req, res) => {
    hits.push(Date.now());
    paths.push(new URL(req.url ?? '/', 'http://x').pathname);
    const next = script.shift() ?? fallback;
    const headers = { 'content-type': 'application/json', ...next.headers };
    if (!next.cut) {
      res.writeHead(next.status ?? 200, headers);
      res.end(next.body);
      return;
    }
    res.writeHead(next.status ?? 200, { ...headers, 'content-length': Buffer.byteLength(next.body) });
    res.write(next.body.slice(0, next.body.length / 2), () => {
      if (next.cut === 'reset') req.socket.resetAndDestroy();
      if (next.cut === 'close') req.socket.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    hits,
    play(answers) {
      script = [...answers];
      paths.length = 0;
      hits.length = 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** `http://127.0.0.1:PORT` of a port that was free a moment ago and has nothing listening: a refused connection. */
export async function closedPortUrl(): Promise<string> {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const { port } = closed.address() as AddressInfo;
  await new Promise<void>((r) => closed.close(() => r()));
  return `http://127.0.0.1:${port}`;
}
