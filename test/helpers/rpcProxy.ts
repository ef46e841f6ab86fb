import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

type Call = { jsonrpc: '2.0'; id: number; method: string; params?: unknown[] };

/** What the proxy does with one HTTP request instead of forwarding it. */
export type Fault =
  /** Answer this status and JSON body (a provider's rate-limit page, say). */
  | { status: number; body: unknown; headers?: Record<string, string> }
  /** Answer HTTP 200 with this JSON-RPC error for every call of the request. */
  | { rpcError: { code: number; message: string; data?: unknown } }
  /** Close the socket without an answer (a dropped connection). */
  | { drop: true };

export interface RpcProxy {
  url: string;
  /** Requests received, faults answered, and the number of calls in each request. */
  stats: { requests: number; faults: number; callsPerRequest: number[]; methods: Map<string, number> };
  /** Decides per request (its calls and its 0-based number) whether to answer a fault; undefined forwards. */
  setFault(fault: ((calls: readonly Call[], request: number) => Fault | undefined) | undefined): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A JSON-RPC proxy in front of a real node (anvil) that can answer as a struggling provider would:
 * HTTP 429 pages, JSON-RPC errors such as -32005 or "response too large", dropped connections.
 */
export async function startRpcProxy(target: string): Promise<RpcProxy> {
  let fault: ((calls: readonly Call[], request: number) => Fault | undefined) | undefined;
  const stats = { requests: 0, faults: 0, callsPerRequest: [] as number[], methods: new Map<string, number>() };
  const server = createServer(async (req, res) => {
    const text = await readBody(req);
    const parsed = JSON.parse(text) as Call | Call[];
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    const index = stats.requests++;
    stats.callsPerRequest.push(calls.length);
    for (const c of calls) stats.methods.set(c.method, (stats.methods.get(c.method) ?? 0) + 1);
    const answer = fault?.(calls, index);
    if (answer) stats.faults++;
    if (answer && 'drop' in answer) {
      req.socket.destroy();
      return;
    }
    if (answer && 'status' in answer) {
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
      return;
    }
    if (answer && 'rpcError' in answer) {
      const replies = calls.map((c) => ({ jsonrpc: '2.0', id: c.id, error: answer.rpcError }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(Array.isArray(parsed) ? replies : replies[0]));
      return;
    }
    const upstream = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: text,
    });
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(await upstream.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setFault(next) {
      fault = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
