import type { ServerResponse } from 'node:http';
import { JSON_TYPE } from './emulatorServer.ts';

/** A JSON answer: status code and body to serialise. */
export interface RouteResult {
  status: number;
  body: unknown;
}

/** The plain error shape the emulated APIs share, e.g. `{"error":"Missing parameter vs_currency"}`. */
export function fail(status: number, error: string): RouteResult {
  return { status, body: { error } };
}

export interface Responder {
  /** Answers `body` as is, with `content-type`, then `headers`, then the forced headers, then `x-sandbox`. */
  send(status: number, body: string, headers?: Record<string, string>): void;
  /** `send` of `JSON.stringify(body)`. */
  sendJson(status: number, body: unknown, headers?: Record<string, string>): void;
}

export interface ResponderOptions {
  /** Default `JSON_TYPE`. */
  contentType?: string;
  /** Headers laid over every answer's own (an injected fault's). */
  forced?: Record<string, string>;
}

/**
 * Writes the answers to one request, recording the status in its log `entry`; every answer carries
 * `x-sandbox: synthetic`.
 */
export function responder(res: ServerResponse, entry: { status: number }, opts: ResponderOptions = {}): Responder {
  const contentType = opts.contentType ?? JSON_TYPE;
  const send = (status: number, body: string, headers: Record<string, string> = {}) => {
    entry.status = status;
    res.writeHead(status, { 'content-type': contentType, ...headers, ...opts.forced, 'x-sandbox': 'synthetic' });
    res.end(body);
  };
  return { send, sendJson: (status, body, headers) => send(status, JSON.stringify(body), headers) };
}
