import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourceModules } from '../test/helpers/sourceModules.ts';

/**
 * Engine differences live in `db/` (its adapters in db/engines.ts, introspection in db/introspect.ts): code
 * outside it asks the adapter what the engine can do (`engineOf(db).jsonInSql`), never which engine it is.
 * These are the ways of asking that the product has used; each line of a non-test module outside `db/` that
 * matches one is reported.
 */
const ENGINE_QUESTIONS: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /\b\w*(?:db|Db|tx)\??\.(?:kind|dialect)\b/, what: "reads a handle's engine" },
  { pattern: /\bdialectOf\b/, what: 'derives the engine from DATABASE_URL' },
  {
    pattern: /[=!]==?\s*['"](?:mysql|pglite|postgres)['"]|['"](?:mysql|pglite|postgres)['"]\s*[=!]==?/,
    what: 'compares an engine name',
  },
  {
    pattern: /\b(?:to_regclass|pg_stat_activity|pg_advisory\w*|information_schema)\b/,
    what: "reads one engine's catalogue",
  },
];

const SRC = dirname(fileURLToPath(import.meta.url));

/** `file:line: what — text` of every engine question in the modules under `root`, `db/` excepted. */
function engineQuestions(files: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [file, text] of files) {
    text.split('\n').forEach((line, i) => {
      for (const { pattern, what } of ENGINE_QUESTIONS) {
        if (pattern.test(line)) found.push(`${file}:${i + 1}: ${what} — ${line.trim()}`);
      }
    });
  }
  return found;
}

describe('engine checks outside db/', () => {
  const files = sourceModules(SRC, ['db']);

  it('behavior: no module outside db/ asks which engine it runs on', () => {
    expect(files.size).toBeGreaterThan(100);
    expect(engineQuestions(files)).toEqual([]);
  });

  it('error: each planted way of asking is reported with its file and line', () => {
    const planted = new Map([
      ['server/routes/x.ts', "const a = 1;\nif (db.dialect === 'mysql') a();"],
      ['transforms/y.ts', "return ctx.db.kind !== 'pglite';"],
      ['jobs/z.ts', "const d = dialectOf(url);\nawait db.query('SELECT to_regclass($1)');"],
    ]);
    expect(engineQuestions(planted)).toEqual([
      "server/routes/x.ts:2: reads a handle's engine — if (db.dialect === 'mysql') a();",
      "server/routes/x.ts:2: compares an engine name — if (db.dialect === 'mysql') a();",
      "transforms/y.ts:1: reads a handle's engine — return ctx.db.kind !== 'pglite';",
      "transforms/y.ts:1: compares an engine name — return ctx.db.kind !== 'pglite';",
      'jobs/z.ts:1: derives the engine from DATABASE_URL — const d = dialectOf(url);',
      "jobs/z.ts:2: reads one engine's catalogue — await db.query('SELECT to_regclass($1)');",
    ]);
  });
});
