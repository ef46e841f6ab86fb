import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { EtlError } from './internal/errors.ts';
import { maskUrlPasswords } from './internal/redact.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number) =>
  z.coerce
    .number({ message: 'expected an integer' })
    .int('expected an integer')
    .min(min, `expected an integer of at least ${min}`);
const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'expected a lowercase SQL identifier such as staging');
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const url = z.url({ message: 'expected a URL such as https://host/path' });
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional()) as unknown as z.ZodOptional<T>;

/** Fastify's `trustProxy`: off, every proxy, or the proxies' addresses (comma-separated). */
function trustProxy(value: string): boolean | string {
  const v = value.trim();
  if (v === '' || v === 'false' || v === 'no') return false;
  return v === 'true' || v === 'yes' ? true : v;
}

/** Every setting, with its default. `.env.example` documents each one; keep the two in step. */
const envSchema = z.object({
  DATABASE_URL: optional(
    z.string().regex(/^(postgres|postgresql|mysql|mariadb):\/\//, 'expected postgres://… or mysql://…'),
  ),
  DATA_DIR: z.string().default('./data'),
  ETL_SCHEMA: identifier.default('etl'),
  STAGING_SCHEMA: identifier.default('staging'),
  WAREHOUSE_SCHEMA: identifier.default('warehouse'),
  DEV: bool.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_DIR: z.string().default('./logs'),
  HOST: z.string().default('127.0.0.1'),
  PORT: int(0).max(65535).default(3000),
  API_TOKEN: optional(z.string().min(16, 'expected at least 16 characters')),
  SANDBOX: bool.default(false),
  // 5 attempts × 20 s + at most 7.5 s of backoff: a hung upstream fails a run within 2 minutes.
  HTTP_TIMEOUT_MS: int(100).default(20_000),
  HTTP_MAX_RETRIES: int(0).max(10).default(4),

  API_QUERY_TIMEOUT_MS: int(100).default(5_000),
  API_POOL_WAIT_MS: int(50).default(2_000),
  API_REQUEST_TIMEOUT_MS: int(1_000).default(30_000),
  API_RATE_LIMIT_PER_MIN: int(0).default(600),
  API_TRUST_PROXY: z
    .string()
    .regex(/^[\w:./,\s]*$/, "expected true, false or the proxies' addresses, such as 10.0.0.0/8,loopback")
    .default('false')
    .transform(trustProxy),
  API_DB_USER: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lowercase role name such as crypto_etl_api')
    .default('crypto_etl_api'),
  API_DB_PASSWORD: optional(z.string()),

  COINGECKO_API_URL: optional(url),
  COINGECKO_API_KEY: optional(z.string()),
  COINGECKO_PLAN: z.enum(['demo', 'pro']).default('demo'),
  COINGECKO_RATE_PER_MIN: optional(int(1)),
  COINS: list
    .pipe(z.array(z.string().regex(/^[a-z0-9-]+$/, 'expected CoinGecko ids such as bitcoin')).min(1))
    .default(['bitcoin', 'ethereum', 'usd-coin']),
  VS_CURRENCY: z
    .string()
    .regex(/^[a-z]{3,5}$/, 'expected a currency code such as usd')
    .default('usd'),

  COINCAP_API_URL: url.default('https://rest.coincap.io/v3'),
  COINCAP_API_KEY: optional(z.string()),
  COINCAP_RATE_PER_MIN: int(1).default(600),

  DUNE_API_URL: url.default('https://api.dune.com/api/v1'),
  DUNE_API_KEY: optional(z.string()),
  DUNE_INIT_QUERY_ID: optional(int(1)),
  DUNE_UPDATE_QUERY_ID: optional(int(1)),
  DUNE_RESULTS_MODE: z.enum(['execute', 'latest']).default('execute'),
  DUNE_POLL_INTERVAL_MS: int(50).default(2_000),
  DUNE_PAGE_SIZE: int(1).max(32_000).default(1_000),
  DUNE_BUY_TOKEN: z.string().default('0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2'),
  DUNE_SELL_TOKEN: z.string().default('0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48'),

  EVM_RPC_URLS: list.pipe(z.array(url)).default([]),
  EVM_START_BLOCK: optional(int(0)),
  EVM_START_DATE: optional(z.iso.date({ message: 'expected a date such as 2026-01-31' })),
  EVM_BATCH_SIZE: int(1).max(10_000).default(100),
  EVM_CONCURRENCY: int(1).max(64).default(4),
  EVM_CONFIRMATIONS: int(0).default(12),
  EVM_POLL_INTERVAL_MS: int(100).default(12_000),
  EVM_LOG_ADDRESSES: list.default([]),
  EVM_LOG_TOPICS: list.default([]),
  EVM_EVENTS: list.pipe(z.array(z.enum(['erc20', 'cow']))).default(['erc20', 'cow']),
  EVM_EVENTS_FILE: optional(z.string()),
  EVM_EVENT_TOKENS: list
    .pipe(
      z.array(
        z.string().regex(/^[A-Za-z0-9.$-]+:0x[0-9a-fA-F]{40}:\d{1,2}$/, 'expected SYMBOL:0x<address>:<decimals>'),
      ),
    )
    .default([
      'WETH:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2:18',
      'USDC:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48:6',
    ]),
  EVM_COW_SETTLEMENT: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte address')
    .default('0x9008d19f58aabd9ed0d60971565aa8510560ab41'),
  EVM_EVENTS_RANGE: int(1).max(1_000_000).default(2_000),

  S3_ENDPOINT: optional(url),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: optional(z.string()),
  S3_SECRET_ACCESS_KEY: optional(z.string()),
  S3_FORCE_PATH_STYLE: bool.default(false),

  LAKE_URL: optional(z.string().min(1)),
  LAKE_EXPORT_TABLES: list.default(['all']),
  LAKE_BLOCK_RANGE: int(1_000).max(100_000_000).default(100_000),
  LAKE_ROW_GROUP_MB: int(1).max(1_024).default(128),
  LAKE_EXPORT_OVERLAP_SECONDS: int(0).default(300),

  REDIS_URL: optional(z.string().regex(/^rediss?:\/\//, 'expected redis://host:port')),
  QUEUE_PREFIX: z.string().default('crypto-etl'),
  WORKER_CONCURRENCY: int(1).default(2),
  RUN_HEARTBEAT_MS: int(100).default(15_000),

  ALERT_WEBHOOK_URL: optional(url),
  SMTP_URL: optional(z.string().regex(/^smtps?:\/\//, 'expected smtp://user:pass@host:port')),
  ALERT_EMAIL_FROM: optional(z.string()),
  ALERT_EMAIL_TO: optional(z.string()),
  QUALITY_PRICE_JUMP_PCT: z.coerce.number().positive().default(25),
  RETENTION_DAYS: int(1).default(400),
  REJECT_MAX_SHARE: z.coerce
    .number({ message: 'expected a share between 0 and 1' })
    .min(0, 'expected a share between 0 and 1')
    .max(1, 'expected a share between 0 and 1')
    .default(0.05),
});

type Env = z.infer<typeof envSchema>;

/** The name of every setting (`.env.example` must document each; a test checks it). */
export const SETTING_NAMES = Object.keys(envSchema.shape);

/** Default calls per minute by plan: demo keys get 30 (the safe figure of the docs), pro 500. */
const DEFAULT_RATE = { demo: 30, pro: 500 } as const;
const DEFAULT_COINGECKO_URL = {
  demo: 'https://api.coingecko.com/api/v3',
  pro: 'https://pro-api.coingecko.com/api/v3',
} as const;

function buildConfig(env: Env, schedules: Record<string, string>) {
  return {
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    schemas: { etl: env.ETL_SCHEMA, staging: env.STAGING_SCHEMA, warehouse: env.WAREHOUSE_SCHEMA },
    dev: env.DEV,
    logLevel: env.LOG_LEVEL,
    logDir: env.LOG_DIR,
    host: env.HOST,
    port: env.PORT,
    apiToken: env.API_TOKEN,
    sandbox: env.SANDBOX,
    http: { timeoutMs: env.HTTP_TIMEOUT_MS, maxRetries: env.HTTP_MAX_RETRIES },
    /** The HTTP server's limits and the login it reads the database as (docs/api.md, "Limits"). */
    api: {
      queryTimeoutMs: env.API_QUERY_TIMEOUT_MS,
      poolWaitMs: env.API_POOL_WAIT_MS,
      requestTimeoutMs: env.API_REQUEST_TIMEOUT_MS,
      /** Requests per minute per client; 0: no limit. */
      rateLimitPerMin: env.API_RATE_LIMIT_PER_MIN,
      trustProxy: env.API_TRUST_PROXY,
      dbUser: env.API_DB_USER,
      /** API_DB_PASSWORD, else derived from DATABASE_URL's password, else none (trust authentication only). */
      dbPassword: env.API_DB_PASSWORD ?? derivedPassword(env.DATABASE_URL),
    },
    coingecko: {
      apiUrl: env.COINGECKO_API_URL ?? DEFAULT_COINGECKO_URL[env.COINGECKO_PLAN],
      apiKey: env.COINGECKO_API_KEY,
      plan: env.COINGECKO_PLAN,
      ratePerMin: env.COINGECKO_RATE_PER_MIN ?? DEFAULT_RATE[env.COINGECKO_PLAN],
      coins: env.COINS,
      vsCurrency: env.VS_CURRENCY,
    },
    coincap: { apiUrl: env.COINCAP_API_URL, apiKey: env.COINCAP_API_KEY, ratePerMin: env.COINCAP_RATE_PER_MIN },
    dune: {
      apiUrl: env.DUNE_API_URL,
      apiKey: env.DUNE_API_KEY,
      initQueryId: env.DUNE_INIT_QUERY_ID,
      updateQueryId: env.DUNE_UPDATE_QUERY_ID,
      resultsMode: env.DUNE_RESULTS_MODE,
      pollIntervalMs: env.DUNE_POLL_INTERVAL_MS,
      pageSize: env.DUNE_PAGE_SIZE,
      buyToken: env.DUNE_BUY_TOKEN,
      sellToken: env.DUNE_SELL_TOKEN,
    },
    evm: {
      rpcUrls: env.EVM_RPC_URLS,
      startBlock: env.EVM_START_BLOCK,
      startDate: env.EVM_START_DATE,
      batchSize: env.EVM_BATCH_SIZE,
      concurrency: env.EVM_CONCURRENCY,
      confirmations: env.EVM_CONFIRMATIONS,
      pollIntervalMs: env.EVM_POLL_INTERVAL_MS,
      logAddresses: env.EVM_LOG_ADDRESSES,
      logTopics: env.EVM_LOG_TOPICS,
      /** `evm-events`: the shipped contract sets to load, a file of more, the token list, blocks per eth_getLogs. */
      events: {
        sets: env.EVM_EVENTS,
        file: env.EVM_EVENTS_FILE,
        tokens: env.EVM_EVENT_TOKENS,
        cowSettlement: env.EVM_COW_SETTLEMENT.toLowerCase(),
        range: env.EVM_EVENTS_RANGE,
      },
    },
    s3: {
      endpoint: env.S3_ENDPOINT,
      region: env.S3_REGION,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      forcePathStyle: env.S3_FORCE_PATH_STYLE,
    },
    /** The Parquet lake (`export`, the `lake-export` job, `lake query`). */
    lake: {
      /** A folder or s3://bucket/prefix; default `<DATA_DIR>/lake`. */
      url: env.LAKE_URL ?? `${env.DATA_DIR.replace(/\/+$/, '')}/lake`,
      /** Tables the `lake-export` job writes (`all`, or names). */
      tables: env.LAKE_EXPORT_TABLES,
      /** Blocks per `block_range=` folder. */
      blockRange: env.LAKE_BLOCK_RANGE,
      /** Uncompressed bytes per row group. */
      rowGroupBytes: env.LAKE_ROW_GROUP_MB * 1024 * 1024,
      /** How far before its watermark an export looks again for late-committed loads. */
      overlapSeconds: env.LAKE_EXPORT_OVERLAP_SECONDS,
    },
    queue: {
      redisUrl: env.REDIS_URL,
      prefix: env.QUEUE_PREFIX,
      workerConcurrency: env.WORKER_CONCURRENCY,
    },
    /** How often a running run touches `etl.runs.heartbeat_at`; silent for two of these, it is `abandoned`. */
    runHeartbeatMs: env.RUN_HEARTBEAT_MS,
    /** Cron overrides by job name (`SCHEDULE_COINGECKO_MARKETS` → `coingecko-markets`); `off` disables. */
    schedules,
    alerts: {
      webhookUrl: env.ALERT_WEBHOOK_URL,
      smtpUrl: env.SMTP_URL,
      emailFrom: env.ALERT_EMAIL_FROM,
      emailTo: env.ALERT_EMAIL_TO,
    },
    quality: { priceJumpPct: env.QUALITY_PRICE_JUMP_PCT },
    retentionDays: env.RETENTION_DAYS,
    /** Largest share of a batch that may fail its schema before the run fails (EVM streams allow none). */
    rejectMaxShare: env.REJECT_MAX_SHARE,
  };
}

export type Config = Readonly<ReturnType<typeof buildConfig>>;

export interface LoadConfigOptions {
  /** Path of the dotenv file; values in the environment win over it. Default `.env` in the working directory. */
  envFile?: string | false;
  /** Values that win over both (the CLI's `--sandbox` points upstream URLs at the emulators this way). */
  overrides?: Record<string, string | undefined>;
}

/**
 * Parses the environment (and `.env`) into a frozen Config.
 * @throws EtlError `ETL_CONFIG_INVALID` naming every bad variable, its value and the expected form.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  const envFile = options.envFile ?? '.env';
  const fromFile = envFile && existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  const merged: Record<string, string | undefined> = { ...fromFile, ...env, ...options.overrides };
  const parsed = envSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const value = merged[name];
      const shown =
        value === undefined || /KEY|TOKEN|SECRET|PASSWORD/.test(name) ? '' : ` (got "${maskUrlPasswords(value)}")`;
      return `${name}${shown}: ${issue.message}`;
    });
    throw new EtlError('ETL_CONFIG_INVALID', `Invalid configuration:\n  ${lines.join('\n  ')}`, {
      details: { variables: parsed.error.issues.map((i) => String(i.path[0])) },
    });
  }
  const schedules: Record<string, string> = {};
  for (const [name, value] of Object.entries(merged)) {
    if (name.startsWith('SCHEDULE_') && value) schedules[name.slice(9).toLowerCase().replaceAll('_', '-')] = value;
  }
  return deepFreeze(buildConfig(parsed.data, schedules));
}

/** The secret values of a config, for log and error scrubbing. */
export function configSecrets(config: Config): string[] {
  const secrets = [
    config.coingecko.apiKey,
    config.coincap.apiKey,
    config.dune.apiKey,
    config.apiToken,
    config.api.dbPassword,
    config.s3.secretAccessKey,
    ...[config.databaseUrl, config.queue.redisUrl, config.alerts.smtpUrl].map(urlPassword),
    // A Slack or Teams webhook's path is its credential.
    ...(config.alerts.webhookUrl ? [new URL(config.alerts.webhookUrl).pathname].filter((p) => p.length >= 16) : []),
    ...config.evm.rpcUrls.flatMap((u) => new URL(u).pathname.split('/').filter((p) => p.length >= 24)),
  ];
  return secrets.filter((s): s is string => !!s);
}

/**
 * The API login's password when API_DB_PASSWORD is unset: an HMAC of the owner's password, so every process
 * given the same DATABASE_URL agrees on it without another secret to distribute, and knowing it reveals nothing
 * of the owner's. No owner password, no derived one: the role then has none (trust authentication only).
 */
function derivedPassword(databaseUrl: string | undefined): string | undefined {
  const owner = urlPassword(databaseUrl);
  return owner ? createHmac('sha256', owner).update('crypto-etl api reader').digest('base64url') : undefined;
}

function urlPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
