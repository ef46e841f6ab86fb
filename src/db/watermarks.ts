import type { Queryable, Schemas } from './types.ts';

/** The checkpoint of each stream, a JSON value saved in the same transaction as the rows it covers. */
export async function readWatermark<C>(db: Queryable, schemas: Schemas, stream: string): Promise<C | undefined> {
  // NOTE: "cursor" is quoted because it is a reserved word in MySQL (see db/dialect.ts).
  const [row] = await db.query<{ cursor: unknown }>(
    `SELECT "cursor" FROM ${schemas.etl}.watermarks WHERE stream = $1`,
    [stream],
  );
  if (!row) return undefined;
  // pg and PGlite parse jsonb; MySQL's JSON may come back as text.
  return (typeof row.cursor === 'string' ? JSON.parse(row.cursor) : row.cursor) as C;
}

export async function writeWatermark(
  tx: Queryable,
  schemas: Schemas,
  stream: string,
  cursor: unknown,
  runId: number | null,
): Promise<void> {
  await tx.writeRows(
    {
      table: `${schemas.etl}.watermarks`,
      columns: ['stream', 'cursor', 'run_id', 'updated_at'],
      key: ['stream'],
      onConflict: 'update',
    },
    [[stream, JSON.stringify(cursor), runId, new Date()]],
  );
}

export async function listWatermarks(
  db: Queryable,
  schemas: Schemas,
): Promise<{ stream: string; cursor: unknown; updated_at: Date }[]> {
  return db.query(`SELECT stream, "cursor", updated_at FROM ${schemas.etl}.watermarks ORDER BY stream`);
}
