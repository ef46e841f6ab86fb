import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { EtlError } from '../internal/errors.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * A pre-handler that lets a request through only with `Authorization: Bearer <API_TOKEN>`. Without
 * API_TOKEN on the server nothing gets through: triggering jobs over HTTP is opt-in.
 */
export function requireBearer(token: string | undefined) {
  return async (request: FastifyRequest) => {
    if (!token) {
      throw new EtlError(
        'ETL_API_DISABLED',
        'Triggering jobs over HTTP is off: set API_TOKEN (16+ characters) on the server, then send Authorization: Bearer <API_TOKEN>',
      );
    }
    const sent = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (sent === undefined) {
      throw new EtlError('ETL_API_UNAUTHORIZED', 'Missing bearer token: send Authorization: Bearer <API_TOKEN>');
    }
    // Compare digests in constant time: the answer must not leak how much of the token was right.
    if (!timingSafeEqual(digest(sent), digest(token))) {
      throw new EtlError('ETL_API_UNAUTHORIZED', 'Wrong bearer token: send the API_TOKEN the server was started with');
    }
  };
}
