import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, EtlError, isEtlError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';

/** The HTTP status of each error code the API answers with; anything else is a 500. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  ETL_INPUT_INVALID: 400,
  ETL_API_UNAUTHORIZED: 401,
  ETL_API_DISABLED: 403,
  ETL_JOB_UNKNOWN: 404,
  ETL_JOB_ALREADY_RUNNING: 409,
  ETL_DB: 503,
  ETL_API_RATE_LIMITED: 429,
  ETL_API_BUSY: 503,
  ETL_QUERY_TIMEOUT: 503,
  // Nobody reads this answer: nginx's "client closed request", kept out of the error log.
  ETL_API_CLIENT_GONE: 499,
  ETL_DB_UNAVAILABLE: 503,
};

const WHERE: Record<string, string> = {
  querystring: 'query parameter',
  params: 'path parameter',
  body: 'body field',
  headers: 'header',
};

/**
 * Turns a failed schema validation into `ETL_INPUT_INVALID` naming the parameter, its value and what was
 * expected, e.g. `Invalid query parameter "limit" (got "0"): must be >= 1`.
 */
export function validationError(error: FastifyError, request: FastifyRequest): EtlError {
  const issue = error.validation?.[0];
  const params = (issue?.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
  const name = params.missingProperty ?? params.additionalProperty ?? issue?.instancePath.split('/')[1] ?? 'request';
  const context = error.validationContext ?? 'querystring';
  const source = (context === 'params' ? request.params : context === 'body' ? request.body : request.query) as
    | Record<string, unknown>
    | undefined;
  const got = source?.[name];
  const shown = typeof got === 'string' || typeof got === 'number' ? ` (got "${got}")` : '';
  const expected = params.missingProperty
    ? 'is required'
    : params.additionalProperty
      ? 'is not a parameter of this endpoint: see /docs'
      : (issue?.message ?? 'is invalid');
  // The offset cap (pagination.ts) is not a typo to fix but a way to ask differently.
  const hint =
    name === 'offset' && issue?.keyword === 'maximum'
      ? ': deeper rows are reached by narrowing from/to or filtering'
      : '';
  return new EtlError(
    'ETL_INPUT_INVALID',
    `Invalid ${WHERE[context] ?? context} "${name}"${shown}: ${expected}${hint}`,
    {
      details: { parameter: name, in: context },
    },
  );
}

/** One error handler for the whole server: `EtlError.code` → HTTP status, a JSON body naming the code. */
export function createErrorHandler(log: Logger) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = error.validation ? validationError(error, request) : isEtlError(error) ? error : undefined;
    if (known) {
      const status = STATUS[known.code] ?? 500;
      if (status >= 500) log.error({ err: known, url: request.url }, 'request failed');
      if (status === 401) reply.header('www-authenticate', 'Bearer');
      if (known.code === 'ETL_API_BUSY') reply.header('retry-after', '1');
      return reply.status(status).send({ error: known.code, message: known.message, ...known.details });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) log.error({ err: error, url: request.url }, 'request failed');
    return reply.status(status).send({
      // A driver's code (a PostgreSQL SQLSTATE) says nothing a client can act on, and tells how we store data.
      error: status >= 500 ? 'ERROR' : (error.code ?? 'ERROR'),
      message: status >= 500 ? 'internal error: see the server log' : error.message,
    });
  };
}
