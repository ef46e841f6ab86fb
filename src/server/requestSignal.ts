import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';
import { EtlError } from '../internal/errors.ts';

const scope = new AsyncLocalStorage<AbortSignal>();

/**
 * The signal of the request being handled, if any: aborted when its client goes away before the answer is
 * sent. The read-only database reads it to cancel the query of a request nobody waits for any more.
 */
export function requestSignal(): AbortSignal | undefined {
  return scope.getStore();
}

/**
 * Runs each request's handler inside a scope holding its client-gone signal. NOTE: not Fastify's
 * `request.signal`, which listens to the request's `close` and so aborts as soon as a body has been read; the
 * response's `close` before it finished is the client going away.
 */
export function bindRequestSignal(server: FastifyInstance): void {
  server.addHook('preHandler', (request, reply, done) => {
    const controller = new AbortController();
    const gone = () => {
      if (!reply.raw.writableFinished) {
        controller.abort(new EtlError('ETL_API_CLIENT_GONE', 'The client closed the connection before the answer'));
      }
    };
    if (request.raw.socket?.destroyed) gone();
    else reply.raw.once('close', gone);
    scope.run(controller.signal, done);
  });
}
