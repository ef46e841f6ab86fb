import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openTestDb } from '../test/helpers/databases.ts';
import { createRunner, defineJob, defineSource, defineStream, defineTable, runSteps, tableWrite } from './index.ts';
import { silentLogger } from './internal/logger.ts';

// A source written against the public surface alone: a table declared once, a stream over it, a job running it.
const readings = defineTable({
  name: 'example_readings',
  columns: { sensor: { type: 'text' }, at: { type: 'timestamptz' }, value: { type: 'numeric', nullable: true } },
  key: ['sensor', 'at'],
});

const exampleSource = defineSource(() => ({
  readings: defineStream({
    name: 'example.readings',
    ...tableWrite(readings),
    onConflict: 'ignore',
    record: z.object({
      sensor: z.string(),
      at: z.iso.datetime().transform((v) => new Date(v)),
      value: z.number().nullable(),
    }),
    async *extract() {
      yield {
        records: [
          { sensor: 'a', at: '2026-01-01T00:00:00Z', value: 1.5 },
          { sensor: 'a', at: '2026-01-01T01:00:00Z', value: null },
        ],
        cursor: { at: '2026-01-01T01:00:00Z' },
      };
    },
  }),
}));

describe('the public surface (src/index.ts)', () => {
  it('behavior: a source, table, stream and job written against it load idempotently through the runner', async () => {
    const t = await openTestDb('pglite');
    try {
      await t.db.exec(
        'CREATE TABLE staging.example_readings (sensor text NOT NULL, at timestamptz NOT NULL, value numeric, loaded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sensor, at))',
      );
      const log = silentLogger();
      const runner = createRunner({ db: t.db, log });
      const job = defineJob({
        name: 'example-readings',
        description: 'Example readings → staging.example_readings',
        schedule: null,
        timeoutMs: 60_000,
        retries: 0,
        run: (ctx) => runSteps('example-readings', ctx, [{ stream: exampleSource({} as never).readings }]),
      });
      const ctx = { db: t.db, log, runner, signal: new AbortController().signal, trigger: 'manual', args: {} } as never;
      expect(await job.run(ctx)).toMatchObject({ job: 'example-readings', status: 'succeeded' });
      expect((await job.run(ctx)).runs[0]).toMatchObject({ rowsLoaded: 0 });
      const rows = await t.db.query<{ sensor: string; value: string | null }>(
        'SELECT sensor, value::text AS value FROM staging.example_readings ORDER BY at',
      );
      expect(rows).toEqual([
        { sensor: 'a', value: '1.5' },
        { sensor: 'a', value: null },
      ]);
    } finally {
      await t.close();
    }
  });
});
