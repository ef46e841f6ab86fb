import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The text of every non-test TypeScript module under `root`, by path relative to it; `skip` leaves folders out. */
export function sourceModules(root: string, skip: readonly string[] = []): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(root, path);
      if (skip.includes(rel)) continue;
      if (statSync(path).isDirectory()) visit(path);
      else if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name)) files.set(rel, readFileSync(path, 'utf8'));
    }
  };
  visit(root);
  return files;
}
