// Compiles src/ to dist/ (what `npm start` and the `crypto-etl` binary run) and copies the files the code reads
// beside itself at run time: SQL migrations and models, the Dune queries, the dashboard's static files.
// Runs on `npm install` (prepare); an install without dev dependencies has no compiler and keeps what is built.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.warn('build: typescript is not installed (a production install): dist/ is left as it is');
  process.exit(0);
}
rmSync(join(root, 'dist'), { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
// Type errors are for `npm run check`; the emitted JavaScript is still complete.
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('build: tsc emitted no dist/cli/main.js');
  process.exit(compiled.status || 1);
}
cpSync(join(root, 'src'), join(root, 'dist'), {
  recursive: true,
  filter: (source) => !/\.ts$/.test(source),
});
