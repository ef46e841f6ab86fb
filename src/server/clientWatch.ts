import type { FastifyReply } from 'fastify';
import { EtlError } from '../internal/errors.ts';

/**
 * Whether the client of one request is still waiting for its answer, so that the read-only database can cancel
 * the statement of a request nobody waits for any more (see readerQuery.ts).
 */
export interface ClientWatch {
  /** Why the request is over, once its client went away before the answer; undefined while it waits. */
  readonly gone: EtlError | undefined;
  /** Calls `cancel` if the client goes away while it is registered; returns what unregisters it. */
  whileWaiting(cancel: () => void): () => void;
}

const NOTHING = () => {};

/**
 * Watches the client of `reply`'s request: gone when the response closes before it finished. NOTE: not Fastify's
 * `request.signal`, which listens to the request's `close` and so aborts as soon as a body has been read; and
 * not an AsyncLocalStorage around the handler (how this was done first): on Node 20 and 22 it turns on promise
 * hooks for the whole process, and every promise of every request paid for them (bench/api: about a fifth of
 * the server's CPU per request). The routes pass the request's reader along instead (ServerDeps.reader).
 */
export function watchClient(reply: FastifyReply): ClientWatch {
  const response = reply.raw;
  let gone: EtlError | undefined;
  let cancels: (() => void)[] | undefined;
  const onClose = () => {
    if (response.writableFinished) return;
    gone = new EtlError('ETL_API_CLIENT_GONE', 'The client closed the connection before the answer');
    const waiting = cancels;
    cancels = undefined;
    for (const cancel of waiting ?? []) cancel();
  };
  if (response.destroyed) onClose();
  else response.once('close', onClose);
  return {
    get gone() {
      return gone;
    },
    whileWaiting(cancel) {
      if (gone) return NOTHING;
      cancels ??= [];
      cancels.push(cancel);
      return () => {
        const i = cancels?.indexOf(cancel) ?? -1;
        if (i >= 0) cancels?.splice(i, 1);
      };
    },
  };
}
