import type { FastifyReply } from 'fastify';
import type { App } from '../app.ts';
import type { Db } from '../db/types.ts';
import type { RelationReader } from './relations.ts';

/** What every route plugin receives: the app (jobs, config, metrics) and the read-only view of the database. */
export interface ServerDeps {
  app: App;
  /** Reads as the read-only role (see readOnlyDb.ts), outside any request; writes go through `app` only. */
  db: Db;
  /**
   * The read-only database as the request of `reply` reads it: its statements are cancelled when the client goes
   * away before the answer. A route reads through it, not through `db`.
   */
  reader(reply: FastifyReply): Db;
  relations: RelationReader;
}

/** JSON-schema shorthands for the route schemas. */
export const num = { type: ['number', 'null'] } as const;
export const int = { type: ['integer', 'null'] } as const;
export const text = { type: ['string', 'null'] } as const;
export const instant = { type: ['string', 'null'], format: 'date-time' } as const;

/** The body of every error answer (see createErrorHandler). */
export function errorResponse(description: string) {
  return {
    description,
    type: 'object',
    required: ['error', 'message'],
    properties: {
      error: { type: 'string', description: 'Stable code, listed in docs/errors-api.md' },
      message: { type: 'string' },
      parameter: { type: 'string', description: 'The parameter at fault, for ETL_INPUT_INVALID' },
      in: { type: 'string', description: 'Where the parameter is: querystring, params, body' },
    },
  } as const;
}
