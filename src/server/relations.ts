import { engineOf } from '../db/engines.ts';
import { columnsOf } from '../db/introspect.ts';
import type { Db, Schemas } from '../db/types.ts';

/** Quotes an identifier read from the catalogue (a column may be named like a keyword). */
const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * A relation another part of the product creates (CoW trades, chain rollups, quality results): the API
 * serves whatever columns it has, and an empty page until it exists, never an error.
 */
export interface RelationSpec {
  schema: keyof Schemas;
  name: string;
  /** Candidate time columns, first present wins: the rows are ordered by it and `from`/`to` filter it. */
  time: readonly string[];
  /** Columns that break ties between rows of the same time, when present, so pages never overlap. */
  tieBreak: readonly string[];
}

export interface RelationShape {
  /** Schema-qualified name. */
  relation: string;
  columns: string[];
  /** The select list: dates as text (`2026-01-31`), since drivers turn them into local-midnight instants. */
  select: string;
  time: string | undefined;
  order: string[];
}

export interface RelationPage {
  columns: string[];
  rows: Record<string, unknown>[];
}

export interface RangeQuery {
  from?: Date;
  to?: Date;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

/**
 * Reads relation shapes from the catalogue. A shape is cached once the relation exists; a missing one is
 * looked up again next time, so a relation created by a later migration shows up without a restart.
 */
export function createRelationReader(db: Db) {
  const shapes = new Map<string, RelationShape>();
  const engine = engineOf(db);

  async function shape(reader: Db, spec: RelationSpec): Promise<RelationShape | undefined> {
    const schema = db.schemas[spec.schema];
    const relation = `${schema}.${spec.name}`;
    const known = shapes.get(relation);
    if (known) return known;
    const rows = await columnsOf(reader, schema, spec.name);
    if (rows.length === 0) return undefined;
    const columns = rows.map((r) => r.name);
    const select = rows
      .map((r) => (r.dataType === 'date' ? `${engine.dateText(`r.${q(r.name)}`)} AS ${q(r.name)}` : `r.${q(r.name)}`))
      .join(', ');
    const time = spec.time.find((c) => columns.includes(c));
    const order = [...(time ? [time] : []), ...spec.tieBreak.filter((c) => columns.includes(c))];
    const found = { relation, columns, select, time, order: order.length > 0 ? order : [columns[0] as string] };
    shapes.set(relation, found);
    return found;
  }

  /** `reader`: the database as the request reads it (see ServerDeps.reader). */
  async function page(reader: Db, spec: RelationSpec, query: RangeQuery, retry = true): Promise<RelationPage> {
    const found = await shape(reader, spec);
    if (!found) return { columns: [], rows: [] };
    const params: unknown[] = [];
    const where: string[] = [];
    if (found.time && query.from) where.push(`r.${q(found.time)} >= $${params.push(query.from)}`);
    if (found.time && query.to) where.push(`r.${q(found.time)} < $${params.push(query.to)}`);
    const direction = query.order === 'asc' ? 'ASC' : 'DESC';
    try {
      const rows = await reader.query(
        `SELECT ${found.select} FROM ${found.relation} AS r ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${found.order.map((c) => `r.${q(c)} ${direction}`).join(', ')}
         LIMIT $${params.push(query.limit + 1)} OFFSET $${params.push(query.offset)}`,
        params,
      );
      return { columns: found.columns, rows };
    } catch (error) {
      // Dropped or reshaped since it was cached (a DEV=true reset, a changed model): look it up again, once.
      if (!retry || !engine.isMissingRelation(error)) throw error;
      shapes.delete(found.relation);
      return page(reader, spec, query, false);
    }
  }

  return {
    shape,
    /** One page (plus one row, see `sendPage`) of the relation in time order; no rows when it does not exist. */
    page,
  };
}

export type RelationReader = ReturnType<typeof createRelationReader>;
