import type { FastifyReply } from 'fastify';
import { toCsv } from './csv.ts';
import { errorResponse } from './deps.ts';

/** The most rows one page may hold. */
export const MAX_LIMIT = 10_000;

/**
 * The deepest page: PostgreSQL reads and drops every skipped row, so an unbounded offset let one request sort
 * a whole table (`offset=900000` over 1M transfers: 7 s and a 260 MB spill). Deeper rows are reached by
 * narrowing the window (`from`/`to`, a filter), which the indexes serve.
 */
export const MAX_OFFSET = 10_000;

/** Query parameters every table endpoint takes: a page (`limit`, `offset`) and the `format` of the answer. */
export const pageParams = {
  limit: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_LIMIT,
    default: 100,
    description: `Rows per page (1–${MAX_LIMIT})`,
  },
  offset: {
    type: 'integer',
    minimum: 0,
    maximum: MAX_OFFSET,
    default: 0,
    description: `Rows to skip (0–${MAX_OFFSET}): the \`nextOffset\` of the last page. Deeper rows: narrow \`from\`/\`to\` or filter`,
  },
  format: {
    type: 'string',
    enum: ['json', 'csv'],
    default: 'json',
    description: '`csv`: the same rows as text/csv with a header row',
  },
} as const;

export interface PageQuery {
  limit: number;
  offset: number;
  format: 'json' | 'csv';
}

/** The answer of a table endpoint, as JSON (a page envelope) or CSV, described for OpenAPI. */
export function pageResponse(item: Record<string, unknown>, description: string) {
  return {
    200: {
      description,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['items', 'limit', 'offset', 'nextOffset'],
            properties: {
              items: { type: 'array', items: item },
              limit: { type: 'integer' },
              offset: { type: 'integer' },
              nextOffset: { type: ['integer', 'null'], description: 'Offset of the next page; null on the last page' },
            },
          },
        },
        'text/csv': { schema: { type: 'string', description: 'Header row, then one line per row (RFC 4180)' } },
      },
    },
    400: errorResponse('A query parameter is invalid: the answer names it'),
  };
}

/**
 * Sends one page. `rows` holds up to `limit + 1` rows: the extra one only says another page exists,
 * which spares a `count(*)` over large tables.
 */
export function sendPage(
  reply: FastifyReply,
  page: PageQuery & { name: string; columns: readonly string[] },
  rows: readonly Record<string, unknown>[],
) {
  const more = rows.length > page.limit;
  const items = more ? rows.slice(0, page.limit) : rows;
  const nextOffset = more ? page.offset + page.limit : null;
  if (page.format === 'csv') {
    if (nextOffset !== null) reply.header('x-next-offset', String(nextOffset));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `inline; filename="${page.name}.csv"`)
      .send(toCsv(page.columns, items));
  }
  return reply.send({ items, limit: page.limit, offset: page.offset, nextOffset });
}

/** A number from either driver's representation (numeric and bigint arrive as strings); null stays null. */
export function toNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/**
 * Sends a JSON page whose items the database rendered already (a JSON array as text), in the same envelope. The
 * envelope is written around the items straight into the bytes sent: joined as a string first, the 26 kB page of
 * bench/api was copied twice more (the joined string flattened, then encoded), and the server's garbage collector
 * paid for the copy.
 */
export function sendRenderedPage(reply: FastifyReply, page: PageQuery, itemsJson: string, more: boolean) {
  const nextOffset = more ? page.offset + page.limit : null;
  const head = '{"items":';
  const tail = `,"limit":${page.limit},"offset":${page.offset},"nextOffset":${nextOffset}}`;
  const body = Buffer.allocUnsafe(head.length + Buffer.byteLength(itemsJson) + tail.length);
  let at = body.write(head, 0, 'latin1');
  at += body.write(itemsJson, at, 'utf8');
  body.write(tail, at, 'latin1');
  return reply.type('application/json; charset=utf-8').send(body);
}
