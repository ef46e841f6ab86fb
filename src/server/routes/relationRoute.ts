import type { FastifyInstance } from 'fastify';
import type { ServerDeps } from '../deps.ts';
import { type PageQuery, pageParams, pageResponse, sendPage } from '../pagination.ts';
import { parseRange, type RangeParams, rangeParams } from '../params.ts';
import type { RelationSpec } from '../relations.ts';

export interface RelationRouteOptions {
  url: string;
  tag: string;
  summary: string;
  spec: RelationSpec;
}

/** pg and PGlite may hand back bigint values, which JSON cannot carry: they travel as strings. */
const jsonSafe = (row: Record<string, unknown>) => {
  for (const [key, value] of Object.entries(row)) if (typeof value === 'bigint') row[key] = value.toString();
  return row;
};

/**
 * A GET endpoint over a relation another part of the product owns: its rows as they are, in time order,
 * filtered by `from`/`to`, paginated, JSON or CSV; an empty page while the relation does not exist yet.
 */
export function relationRoute(
  server: FastifyInstance,
  { reader, relations }: Pick<ServerDeps, 'reader' | 'relations'>,
  options: RelationRouteOptions,
) {
  const { spec } = options;
  server.get<{ Querystring: PageQuery & RangeParams }>(
    options.url,
    {
      schema: {
        tags: [options.tag],
        summary: options.summary,
        description: `Rows of ${spec.schema}.${spec.name} with all its columns, newest first by ${spec.time.join(' or ')}; an empty list until the relation exists.`,
        querystring: { type: 'object', additionalProperties: false, properties: { ...rangeParams, ...pageParams } },
        response: pageResponse({ type: 'object', additionalProperties: true }, `Rows of ${spec.name}`),
      },
    },
    async (request, reply) => {
      const { from, to } = parseRange(request.query);
      const { columns, rows } = await relations.page(reader(reply), spec, { ...request.query, from, to });
      return sendPage(reply, { ...request.query, name: spec.name, columns }, rows.map(jsonSafe));
    },
  );
}
