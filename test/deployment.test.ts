import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { silentLogger } from '../src/internal/logger.ts';
import { buildCatalogue } from '../src/jobs/catalogue.ts';
import { testConfig } from './helpers/config.ts';

const root = join(import.meta.dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  env_file?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  container_name?: string;
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const appServices = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('crypto-etl'));

/** Every `crypto-etl …` invocation a service makes: the command array, or each one in an `sh -c` script. */
function invocations(service: Service): string[][] {
  if (service.entrypoint?.[0] === 'sh') {
    const script = service.command?.join(' ') ?? '';
    return [...script.matchAll(/crypto-etl ([\w-]+(?: [\w-]+)*)/g)].map((m) => (m[1] ?? '').split(' '));
  }
  return [service.command ?? ['start']];
}

describe('deployment files', () => {
  it('behavior: compose starts postgres, redis, init, scheduler, worker and server', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'init',
      'postgres',
      'redis',
      'scheduler',
      'server',
      'worker',
    ]);
    expect(appServices.map(([name]) => name).sort()).toEqual(['init', 'scheduler', 'server', 'worker']);
    expect(Object.keys(compose.volumes).sort()).toEqual(['pgdata', 'redisdata']);
  });

  it('behavior: every command the compose file runs exists in the CLI, and every job it runs is in the catalogue', () => {
    const help = execFileSync(process.execPath, [join(root, 'bin', 'crypto-etl.mjs'), '--help'], {
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    const commands = new Set([...help.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]));
    const jobs = new Set(buildCatalogue({ config: testConfig(), log: silentLogger() }).map((j) => j.name));
    const used = appServices.flatMap(([, service]) => invocations(service));
    expect(used.map((argv) => argv[0]).sort()).toEqual([
      'migrate',
      'run',
      'run',
      'run',
      'scheduler',
      'serve',
      'worker',
    ]);
    for (const [command, ...args] of used) {
      expect(commands, `crypto-etl ${command}`).toContain(command);
      if (command === 'run') expect(jobs, `job ${args[0]}`).toContain(args[0]);
    }
  });

  it('behavior: the app services read .env, wire PostgreSQL and Redis, and wait for init', () => {
    for (const [name, service] of appServices) {
      expect(service.env_file, name).toBe('.env');
      expect(service.environment?.DATABASE_URL, name).toMatch(/^postgres:\/\/.+@postgres:5432\//);
      expect(service.environment?.LOG_DIR, name).toBe('');
    }
    // init loads in-process, before any worker exists; the others go through Redis.
    expect(compose.services.init?.environment?.REDIS_URL).toBe('');
    for (const name of ['scheduler', 'worker', 'server']) {
      expect(compose.services[name]?.environment?.REDIS_URL).toBe('redis://redis:6379');
      expect(compose.services[name]?.depends_on).toMatchObject({
        init: { condition: 'service_completed_successfully' },
        redis: { condition: 'service_healthy' },
      });
    }
    expect(compose.services.init?.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
  });

  it('behavior: workers scale (no fixed name or host port); databases and server have health checks and volumes', () => {
    const worker = compose.services.worker as Service;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    for (const name of ['postgres', 'redis', 'server']) expect(compose.services[name]?.healthcheck, name).toBeDefined();
    expect(compose.services.postgres?.volumes).toEqual(['pgdata:/var/lib/postgresql/data']);
    expect(compose.services.redis?.volumes).toEqual(['redisdata:/data']);
  });

  it('behavior: the Dockerfile is multi-stage, type-checks, and ships no secrets or local state', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toContain('npx tsc --noEmit');
    expect(dockerfile).toContain('node scripts/build.mjs');
    expect(dockerfile).toContain('COPY --from=build /app/dist ./dist');
    expect(dockerfile).toContain('COPY --from=build /app/node_modules ./node_modules');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toContain('ENTRYPOINT ["crypto-etl"]');
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['.env', 'node_modules', 'data', 'logs', '.git']) expect(ignored).toContain(entry);
  });

  it('behavior: docker-compose validates the file (docker-compose config)', () => {
    const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    if (probe.error) {
      throw new Error(
        'docker-compose is not installed, so the compose file cannot be validated: apt-get install docker-compose (.ci/run does)',
      );
    }
    // compose needs the env_file to exist: validate a copy beside the example settings.
    const dir = mkdtempSync(join(tmpdir(), 'crypto-etl-compose-'));
    copyFileSync(join(root, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
    copyFileSync(join(root, '.env.example'), join(dir, '.env'));
    const validate = (...args: string[]) =>
      spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', ...args], { cwd: dir, encoding: 'utf8' });
    try {
      const config = validate('--quiet');
      expect(config.stderr).toBe('');
      expect(config.status).toBe(0);
      const services = validate('--services');
      expect(services.stdout.trim().split('\n').sort()).toEqual([
        'init',
        'postgres',
        'redis',
        'scheduler',
        'server',
        'worker',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the built CLI', () => {
  it('behavior: scripts/build.mjs emits JavaScript that runs every asset it reads (SQL, web) without tsx', () => {
    const outDir = join(root, 'dist');
    const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    for (const file of ['cli/main.js', 'db/migrations/0001_etl.sql', 'transforms/models/0002_market_overview.sql']) {
      expect(existsSync(join(outDir, file)), file).toBe(true);
    }
    const help = spawnSync(process.execPath, [join(outDir, 'cli', 'main.js'), '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/backfill <table> <location>/);
    // A command that reads migrations and models from beside the built code, on an embedded database.
    const dataDir = mkdtempSync(join(tmpdir(), 'crypto-etl-built-'));
    try {
      const env = { PATH: process.env.PATH, DATA_DIR: dataDir, LOG_DIR: '', NO_COLOR: '1' };
      const migrate = spawnSync(process.execPath, [join(outDir, 'cli', 'main.js'), 'migrate'], {
        env,
        encoding: 'utf8',
      });
      expect(migrate.status, migrate.stderr + migrate.stdout).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
