import type { WriteTarget } from './types.ts';

/**
 * The rows of a batch with each key once, its last row winning: one upsert statement cannot touch a row twice
 * (PostgreSQL refuses, MySQL would apply both), and the later copy is the newer one. `valueText` renders a key
 * value as the engine would bind it, so values equal to the database are equal here.
 */
export function lastPerKey(
  target: WriteTarget,
  rows: readonly (readonly unknown[])[],
  valueText: (value: unknown) => string,
): (readonly unknown[])[] {
  const keyIdx = target.key.map((k) => target.columns.indexOf(k));
  const byKey = new Map<string, readonly unknown[]>();
  for (const row of rows) byKey.set(keyIdx.map((i) => valueText(row[i])).join('\u0000'), row);
  return [...byKey.values()];
}
