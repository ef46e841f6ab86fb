import type { Queryable, Schemas } from '../db/types.ts';
import type { SchemaChange } from './contract.ts';

/** Longest sample kept, in characters of JSON: enough to recognise a record, small enough for every row. */
const SAMPLE_CHARS = 2_000;

function sampleJson(sample: unknown, scrub: (text: string) => string): string {
  const text = scrub(JSON.stringify(sample ?? null) ?? 'null');
  return text.length <= SAMPLE_CHARS ? text : JSON.stringify({ truncated: text.slice(0, SAMPLE_CHARS) });
}

/**
 * Records drift once per stream, field and kind: the first sighting keeps its `first_seen`, later ones move
 * `last_seen`, the run and the sample. Two plain statements, so every engine runs them as written.
 */
export async function writeSchemaChanges(
  tx: Queryable,
  schemas: Schemas,
  stream: string,
  runId: number,
  changes: readonly SchemaChange[],
  scrub: (text: string) => string,
): Promise<void> {
  const table = `${schemas.etl}.schema_changes`;
  for (const change of changes) {
    const sample = sampleJson(change.sample, scrub);
    await tx.writeRows(
      {
        table,
        columns: ['stream', 'field', 'kind', 'run_id', 'sample'],
        key: ['stream', 'field', 'kind'],
        onConflict: 'ignore',
      },
      [[stream, change.field, change.kind, runId, sample]],
    );
    await tx.query(
      `UPDATE ${table} SET last_seen = CURRENT_TIMESTAMP, run_id = $1, sample = $2 WHERE stream = $3 AND field = $4 AND kind = $5`,
      [runId, sample, stream, change.field, change.kind],
    );
  }
}

export interface SchemaChangeRow {
  stream: string;
  field: string;
  kind: string;
  first_seen: Date;
  last_seen: Date;
  run_id: number | null;
  sample: unknown;
}

export async function listSchemaChanges(db: Queryable, schemas: Schemas): Promise<SchemaChangeRow[]> {
  return db.query<SchemaChangeRow & Record<string, unknown>>(
    `SELECT stream, field, kind, first_seen, last_seen, run_id, sample FROM ${schemas.etl}.schema_changes
     ORDER BY last_seen DESC, stream, field`,
  );
}
