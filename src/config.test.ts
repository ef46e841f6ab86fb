import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSecrets, loadConfig, SETTING_NAMES } from './config.ts';
import { isEtlError } from './internal/errors.ts';

const load = (env: Record<string, string>) => loadConfig(env, { envFile: false });

describe('loadConfig', () => {
  it('args: defaults give the zero-setup product (PGlite, demo plan, three coins)', () => {
    const config = load({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.schemas).toEqual({ etl: 'etl', staging: 'staging', warehouse: 'warehouse' });
    expect(config.coingecko).toMatchObject({
      apiUrl: 'https://api.coingecko.com/api/v3',
      plan: 'demo',
      ratePerMin: 30,
      coins: ['bitcoin', 'ethereum', 'usd-coin'],
      vsCurrency: 'usd',
    });
    expect(Object.isFrozen(config.coingecko)).toBe(true);
  });

  it('args: the pro plan changes the default host and rate; an explicit rate wins', () => {
    expect(load({ COINGECKO_PLAN: 'pro' }).coingecko).toMatchObject({
      apiUrl: 'https://pro-api.coingecko.com/api/v3',
      ratePerMin: 500,
    });
    expect(load({ COINGECKO_PLAN: 'pro', COINGECKO_RATE_PER_MIN: '90' }).coingecko.ratePerMin).toBe(90);
  });

  it('args: lists, booleans and schedule overrides are parsed', () => {
    const config = load({ COINS: 'bitcoin, solana', DEV: 'true', SCHEDULE_COINGECKO_MARKETS: '*/5 * * * *' });
    expect(config.coingecko.coins).toEqual(['bitcoin', 'solana']);
    expect(config.dev).toBe(true);
    expect(config.schedules).toEqual({ 'coingecko-markets': '*/5 * * * *' });
  });

  it('behavior: with the defaults a hung upstream fails a run in under two minutes (every attempt times out)', () => {
    const { http } = load({});
    // Attempts × the whole-answer timeout, plus the jittered backoff's ceiling between them (0.5 s · 2^attempt).
    const backoffCeilingMs = Array.from({ length: http.maxRetries }, (_, attempt) => 500 * 2 ** attempt).reduce(
      (a, b) => a + b,
      0,
    );
    expect((http.maxRetries + 1) * http.timeoutMs + backoffCeilingMs).toBeLessThan(120_000);
  });

  it('error: every bad variable is named with its value and the expected form', () => {
    try {
      load({
        COINGECKO_PLAN: 'gold',
        DATABASE_URL: 'sqlite://admin:hunter2secret@db:5432/x',
        REDIS_URL: 'http://:redispass99@cache:6379',
        SMTP_URL: 'smtp//mailer:smtppass77@mail',
        STAGING_SCHEMA: 'Bad-Name',
        DUNE_POLL_INTERVAL_MS: '20',
        HTTP_TIMEOUT_MS: '1.5',
      });
      expect.unreachable();
    } catch (error) {
      expect(isEtlError(error, 'ETL_CONFIG_INVALID')).toBe(true);
      const message = (error as Error).message;
      expect(message).toMatch(/COINGECKO_PLAN \(got "gold"\)/);
      expect(message).toMatch(
        /DATABASE_URL \(got "sqlite:\/\/admin:\*\*\*@db:5432\/x"\): expected postgres:\/\/… or mysql:\/\/…/,
      );
      expect(message).toMatch(/REDIS_URL \(got "http:\/\/:\*\*\*@cache:6379"\)/);
      for (const secret of ['hunter2secret', 'redispass99', 'smtppass77']) expect(message).not.toContain(secret);
      expect(message).toMatch(/STAGING_SCHEMA \(got "Bad-Name"\): expected a lowercase SQL identifier/);
      expect(message).toMatch(/DUNE_POLL_INTERVAL_MS \(got "20"\): expected an integer of at least 50/);
      expect(message).toMatch(/HTTP_TIMEOUT_MS \(got "1.5"\): expected an integer$/m);
    }
  });

  it('error: a secret setting is named but its value is never echoed', () => {
    expect(() => load({ API_TOKEN: 'short-secret' })).toThrow(/API_TOKEN: expected at least 16 characters/);
    expect(() => load({ API_TOKEN: 'short-secret' })).not.toThrow(/short-secret/);
  });

  it('behavior: the environment wins over .env, overrides win over both', () => {
    const config = loadConfig({ VS_CURRENCY: 'eur' }, { envFile: false, overrides: { COINS: 'ethereum' } });
    expect(config.coingecko.vsCurrency).toBe('eur');
    expect(config.coingecko.coins).toEqual(['ethereum']);
  });

  it('behavior: .env.example documents every setting, and only real ones', () => {
    const documented = [...readFileSync('.env.example', 'utf8').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(SETTING_NAMES.filter((name) => !documented.includes(name))).toEqual([]);
    expect(documented.filter((name) => !SETTING_NAMES.includes(name as string))).toEqual([]);
  });

  it('behavior: configSecrets lists keys and RPC path tokens for scrubbing', () => {
    const config = load({
      COINGECKO_API_KEY: 'CG-abcdef',
      EVM_RPC_URLS: 'https://x.quiknode.pro/0123456789abcdef0123456789abcdef/',
    });
    expect(configSecrets(config)).toEqual(['CG-abcdef', '0123456789abcdef0123456789abcdef']);
  });

  it("args: the API's limits, proxy trust and read-only login", () => {
    expect(load({}).api).toEqual({
      queryTimeoutMs: 5_000,
      poolWaitMs: 2_000,
      requestTimeoutMs: 30_000,
      rateLimitPerMin: 600,
      trustProxy: false,
      dbUser: 'crypto_etl_api',
      dbPassword: undefined,
    });
    expect(load({ API_TRUST_PROXY: 'true' }).api.trustProxy).toBe(true);
    expect(load({ API_TRUST_PROXY: '10.0.0.0/8,loopback' }).api.trustProxy).toBe('10.0.0.0/8,loopback');
    expect(() => load({ API_DB_USER: 'Robert"; DROP' })).toThrow(/API_DB_USER .*expected a lowercase role name/);
    expect(() => load({ API_RATE_LIMIT_PER_MIN: '-1' })).toThrow(/API_RATE_LIMIT_PER_MIN/);
  });

  it("behavior: the API login's password is API_DB_PASSWORD, else derived from the owner's, and is a secret", () => {
    const owner = 'postgres://crypto:owner-pass-1@db:5432/crypto';
    const derived = load({ DATABASE_URL: owner }).api.dbPassword;
    expect(derived).toMatch(/^[\w-]{43}$/);
    // Every process given the same DATABASE_URL agrees; another owner password gives another one.
    expect(load({ DATABASE_URL: owner }).api.dbPassword).toBe(derived);
    expect(load({ DATABASE_URL: owner.replace('owner-pass-1', 'owner-pass-2') }).api.dbPassword).not.toBe(derived);
    expect(derived).not.toContain('owner-pass-1');
    expect(configSecrets(load({ DATABASE_URL: owner }))).toContain(derived);
    expect(load({ DATABASE_URL: owner, API_DB_PASSWORD: 'chosen' }).api.dbPassword).toBe('chosen');
    // No owner password (trust or peer authentication): none for the login either.
    expect(load({ DATABASE_URL: 'postgres://postgres@db/crypto' }).api.dbPassword).toBeUndefined();
  });
});
