import type { Queryable, Schemas } from '../db/types.ts';

export interface Reject {
  reason: string;
  payload: unknown;
}

/** Files rejects under a stream; `scrub` removes configured secrets from reasons and payloads first. */
export async function writeRejects(
  tx: Queryable,
  schemas: Schemas,
  stream: string,
  runId: number,
  rejects: readonly Reject[],
  scrub: (text: string) => string = (text) => text,
): Promise<void> {
  if (rejects.length === 0) return;
  await tx.writeRows(
    {
      table: `${schemas.etl}.rejects`,
      columns: ['stream', 'run_id', 'reason', 'payload'],
      key: ['id'],
      onConflict: 'ignore',
    },
    rejects.map((r) => [stream, runId, scrub(r.reason), scrub(JSON.stringify(r.payload ?? null))]),
  );
}
