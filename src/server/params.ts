import type { FastifyInstance } from 'fastify';
import { EtlError } from '../internal/errors.ts';

const INSTANT = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})?)?$';

/** `from` / `to` / `order`: the time window of a time-series endpoint (UTC when no offset is given). */
export const rangeParams = {
  from: {
    type: 'string',
    pattern: INSTANT,
    description: 'Start, inclusive: a date (2026-01-31) or an ISO 8601 instant (2026-01-31T09:00:00Z)',
  },
  to: { type: 'string', pattern: INSTANT, description: 'End, exclusive: a date or an ISO 8601 instant' },
  order: { type: 'string', enum: ['asc', 'desc'], default: 'desc', description: 'Time order of the rows' },
} as const;

export interface RangeParams {
  from?: string;
  to?: string;
  order: 'asc' | 'desc';
}

/**
 * The instants `from`/`to` may name: every engine stores them (PostgreSQL has no year 0, MySQL's DATETIME ends
 * with 9999) and no market data predates 1970.
 */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 11, 31);

/** Parses `from`/`to` as instants (bare dates and times without an offset are UTC) and checks from < to. */
export function parseRange(query: { from?: string; to?: string }): { from?: Date; to?: Date } {
  const instant = (name: 'from' | 'to') => {
    const text = query[name];
    if (text === undefined) return undefined;
    const invalid = (why: string) =>
      new EtlError('ETL_INPUT_INVALID', `Invalid query parameter "${name}" (got "${text}"): ${why}`, {
        details: { parameter: name, in: 'querystring' },
      });
    const utc = /T.*(Z|[+-]\d{2}:\d{2})$/.test(text) || !text.includes('T') ? text : `${text}Z`;
    const date = new Date(utc);
    // JavaScript rolls 2026-02-30 over to March 2; a UTC date must read back as written.
    const utcDay = utc.endsWith('Z') || !utc.includes('T');
    if (Number.isNaN(date.getTime()) || (utcDay && date.toISOString().slice(0, 10) !== text.slice(0, 10))) {
      throw invalid('not a real date');
    }
    if (date.getTime() < EARLIEST || date.getTime() > LATEST) throw invalid('out of range: 1970-01-01 to 9999-12-31');
    return date;
  };
  const from = instant('from');
  const to = instant('to');
  if (from && to && from >= to) {
    throw new EtlError(
      'ETL_INPUT_INVALID',
      `Invalid query parameter "from" (got "${query.from}"): must be before "to" (${query.to})`,
      { details: { parameter: 'from', in: 'querystring' } },
    );
  }
  return { from, to };
}

/**
 * Refuses query numbers that are not finite (`limit=Infinity`, `offset=1e400`). NOTE: Ajv coerces such text to
 * Infinity and then skips `maximum`/`minimum` for a non-finite number, so the route schemas alone let it
 * through to the SQL.
 */
export function refuseNonFiniteNumbers(server: FastifyInstance): void {
  server.addHook('preHandler', (request, _reply, done) => {
    const query = request.query as Record<string, unknown> | undefined;
    for (const name in query) {
      const value = query[name];
      if (typeof value !== 'number' || Number.isFinite(value)) continue;
      const sent = new URLSearchParams(request.url.split('?')[1] ?? '').get(name) ?? String(value);
      done(
        new EtlError(
          'ETL_INPUT_INVALID',
          `Invalid query parameter "${name}" (got "${sent}"): must be a finite number`,
          {
            details: { parameter: name, in: 'querystring' },
          },
        ),
      );
      return;
    }
    done();
  });
}
