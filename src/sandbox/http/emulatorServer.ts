import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The content type the CoinGecko and CoinCap emulators answer with. */
export const JSON_TYPE = 'application/json; charset=utf-8';

export interface EmulatorServerOptions {
  /** Port on 127.0.0.1; default 0 = a free one. */
  port?: number;
  /** `content-type` of the 500 answered when `handle` throws; default `JSON_TYPE`. */
  contentType?: string;
  /** Answers one request; a rejection becomes a 500 `{"error":"sandbox: …"}` (or a dropped socket once headers went out). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Runs first on close, e.g. to cancel injected delays. */
  onClose?: () => void;
}

export interface EmulatorServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  origin: string;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 with node:http for an upstream emulator; every answer it writes itself carries
 * `x-sandbox: synthetic`, like the emulator's own.
 * @example
 * const server = await startEmulatorServer({ handle: async (_req, res) => void res.end('{}') });
 * await fetch(`${server.origin}/anything`);
 * await server.close();
 */
export async function startEmulatorServer(opts: EmulatorServerOptions): Promise<EmulatorServer> {
  const contentType = opts.contentType ?? JSON_TYPE;
  const server = createServer((req, res) => {
    opts.handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(500, { 'content-type': contentType, 'x-sandbox': 'synthetic' });
      res.end(JSON.stringify({ error: `sandbox: ${error instanceof Error ? error.message : String(error)}` }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        opts.onClose?.();
        server.close((error) => (error ? reject(error) : resolve()));
        // NOTE: keep-alive sockets (fetch keeps them) would hold close() open for seconds.
        server.closeAllConnections();
      }),
  };
}

/** A request's URL and its path without trailing slashes (`/` at the least). */
export function requestTarget(req: IncomingMessage): { url: URL; fullPath: string } {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  return { url, fullPath: url.pathname.replace(/\/+$/, '') || '/' };
}

/** Node's header map as one string per name (repeated headers joined with `, `), for the request log. */
export function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
