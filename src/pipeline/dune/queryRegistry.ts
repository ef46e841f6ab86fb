import type { Db } from '../../db/types.ts';

/** A repo query as last pushed to Dune (`etl.dune_queries`). */
export type RegisteredQuery = {
  name: string;
  query_id: number;
  title: string;
  sql_hash: string;
  pushed_at: Date;
};

/** `etl.dune_queries`: which Dune id holds each repo query, and the hash of the SQL pushed there. */
export function queryRegistry(db: Db) {
  const table = `${db.schemas.etl}.dune_queries`;
  return {
    async list(): Promise<RegisteredQuery[]> {
      const rows = await db.query<RegisteredQuery>(
        `SELECT name, query_id, title, sql_hash, pushed_at FROM ${table} ORDER BY name`,
      );
      return rows.map((r) => ({ ...r, query_id: Number(r.query_id) }));
    },
    async get(name: string): Promise<RegisteredQuery | undefined> {
      return (await this.list()).find((r) => r.name === name);
    },
    async save(entry: Omit<RegisteredQuery, 'pushed_at'>): Promise<void> {
      await db.writeRows(
        { table, columns: ['name', 'query_id', 'title', 'sql_hash', 'pushed_at'], key: ['name'], onConflict: 'update' },
        [[entry.name, entry.query_id, entry.title, entry.sql_hash, new Date()]],
      );
    },
  };
}

export type QueryRegistry = ReturnType<typeof queryRegistry>;
