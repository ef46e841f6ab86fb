#!/usr/bin/env node
// Runs the built CLI (dist/, made by `npm install` or `npm run build`). Without a build, or with
// CRYPTO_ETL_FROM_SOURCE=1 (the tests, `npm run dev`), it runs the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
if (process.env.CRYPTO_ETL_FROM_SOURCE !== '1' && existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
