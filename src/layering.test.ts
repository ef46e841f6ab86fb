import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourceModules } from '../test/helpers/sourceModules.ts';

/**
 * Imports point one way (ARCHITECTURE rule 11): cli → server → app → jobs → lake → pipeline → sources / transforms →
 * common → db → tables → config → internal. Each top-level part of src/ names the parts it may import; anything else is a wrong-way
 * import. Type-only imports count too: a type is a dependency like any other.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  internal: [],
  // Table declarations are plain data every part may read (tables/defineTable.ts).
  tables: [],
  // The dependencies object every factory takes a Pick of (common.ts): types only.
  common: ['db', 'tables', 'config', 'internal'],
  config: ['internal'],
  db: ['tables', 'config', 'internal'],
  // Sources never touch the database or the pipeline: they yield records, the runner loads them.
  sources: ['tables', 'config', 'internal'],
  // The emulators share the upstreams' constants (addresses, token lists) with the sources.
  sandbox: ['sources', 'tables', 'config', 'internal'],
  transforms: ['db', 'tables', 'config', 'internal'],
  pipeline: ['sources', 'common', 'db', 'tables', 'config', 'internal'],
  // The lake is a sink beside the pipeline: it reads staging and writes files (S3 through the sources' client).
  lake: ['pipeline', 'sources', 'common', 'db', 'tables', 'config', 'internal'],
  jobs: ['lake', 'pipeline', 'sources', 'transforms', 'common', 'db', 'tables', 'config', 'internal'],
  app: ['jobs', 'lake', 'pipeline', 'sources', 'transforms', 'common', 'db', 'tables', 'config', 'internal'],
  server: ['app', 'jobs', 'pipeline', 'transforms', 'common', 'db', 'tables', 'config', 'internal'],
  // The public surface (src/index.ts) re-exports from every part a source or job is written against.
  index: ['app', 'jobs', 'pipeline', 'sources', 'common', 'db', 'tables', 'config', 'internal'],
  cli: [
    'server',
    'app',
    'jobs',
    'lake',
    'pipeline',
    'sources',
    'transforms',
    'sandbox',
    'common',
    'db',
    'tables',
    'config',
    'internal',
  ],
};

interface Edge {
  from: string;
  to: string;
}

const SRC = dirname(fileURLToPath(import.meta.url));
const IMPORT = /(?:import|export)\s+(?:type\s+)?[^'"]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g;

/** Every relative import between the (non-test) modules of `root`, as paths relative to it. */
function importEdges(root: string): Edge[] {
  const edges: Edge[] = [];
  for (const [file, text] of sourceModules(root)) {
    for (const match of text.matchAll(IMPORT)) {
      const target = resolve(dirname(join(root, file)), (match[1] ?? match[2]) as string);
      if (target.startsWith(root)) edges.push({ from: file, to: relative(root, target) });
    }
  }
  return edges;
}

/** The top-level part of a module: its first folder, or its own name for a file directly in src/. */
const part = (path: string) => (path.split('/')[0] as string).replace(/\.ts$/, '');

function wrongWayImports(edges: readonly Edge[]): string[] {
  return edges
    .filter(({ from, to }) => part(from) !== part(to))
    .filter(({ from, to }) => !(MAY_IMPORT[part(from)] ?? []).includes(part(to)))
    .map(({ from, to }) => `${from} imports ${to} (${part(from)} may import ${MAY_IMPORT[part(from)]?.join(', ')})`);
}

/** Parts that import each other, directly or round a longer circle (Tarjan's strongly connected components). */
function partCircles(edges: readonly Edge[]): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const [a, b] = [part(from), part(to)];
    if (a === b) continue;
    graph.set(a, (graph.get(a) ?? new Set()).add(b));
    if (!graph.has(b)) graph.set(b, new Set());
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const connect = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1) circles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) connect(node);
  return circles;
}

describe('layering of src/', () => {
  const edges = importEdges(SRC);

  it('behavior: no part imports one above it', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(wrongWayImports(edges)).toEqual([]);
  });

  it('behavior: no two parts import each other, directly or round a circle', () => {
    expect(partCircles(edges)).toEqual([]);
  });

  it('error: a planted wrong-way import and a planted circle are both reported', () => {
    const planted = [
      ...edges,
      { from: 'sources/coingecko/client.ts', to: 'pipeline/runner.ts' },
      { from: 'db/migrate.ts', to: 'jobs/catalogue.ts' },
      { from: 'jobs/catalogue.ts', to: 'server/deps.ts' },
    ];
    expect(wrongWayImports(planted)).toEqual([
      'sources/coingecko/client.ts imports pipeline/runner.ts (sources may import tables, config, internal)',
      'db/migrate.ts imports jobs/catalogue.ts (db may import tables, config, internal)',
      'jobs/catalogue.ts imports server/deps.ts (jobs may import lake, pipeline, sources, transforms, common, db, tables, config, internal)',
    ]);
    // jobs → server closes the circle server → app → jobs.
    expect(partCircles([...edges, { from: 'jobs/catalogue.ts', to: 'server/deps.ts' }])).toEqual([
      ['app', 'jobs', 'server'],
    ]);
  });
});
