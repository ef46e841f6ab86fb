import type { Db, EngineKind } from './types.ts';

/**
 * What differs between the engines, for code outside `db/`: the product asks these questions, never which
 * engine it runs on (a test greps `src/` for `.kind` and `.dialect`). One adapter per engine, below.
 */
export interface EngineAdapter {
  /** The engine's id, for reports (`/api/status`): never branch on it, ask for what differs instead. */
  readonly id: EngineKind;
  /** For people: logs, messages. */
  readonly label: string;
  /** The SQL flavour of the model and rollup files the engine reads (`models/`, `models/mysql/`). */
  readonly flavour: 'postgres' | 'mysql';
  /**
   * The folder (under `models/` or `rollups/`) whose files replace the portable ones of the same name;
   * `undefined` where the PostgreSQL files are read as they are.
   */
  readonly sqlFolder: string | undefined;
  /** A date expression as `YYYY-MM-DD` text (drivers turn a date into a local-midnight instant). */
  dateText(expr: string): string;
  /**
   * Whether a page of rows can be rendered as JSON text by the database itself (json_agg): cheaper than
   * parsing the rows in Node and serializing them again.
   */
  readonly jsonInSql: boolean;
  /** Whether exact decimals arrive as strings that the API converts to JSON numbers (MySQL's driver). */
  readonly decimalsAsStrings: boolean;
  /**
   * How the API confines its reads to the read-only role: a pool of its own that logs in as a reader
   * (`login`), each read a read-only transaction under `SET LOCAL ROLE` on the shared connection (`set-role`),
   * or not at all (`none`: the engine's migrations create no role).
   */
  readonly readConfinement: 'login' | 'set-role' | 'none';
  /**
   * SQL answering `started`: when the oldest transaction of another session began; `undefined` where no other
   * session can hold one open (PGlite's single connection) or the engine does not say (MySQL).
   */
  readonly oldestOpenTransactionSql: string | undefined;
  /**
   * SQL to run first in the transaction of a short statement over what changed (a rollup's refresh): PostgreSQL's
   * JIT, which the planner calls for on its cost estimates of joins over large tables, compiled for ~1 s to run
   * 20 ms. `undefined` where there is nothing to turn off (PGlite is built without JIT).
   */
  readonly shortStatementSetup: string | undefined;
  /** Whether an error says a relation or a column does not exist (dropped or reshaped since it was read). */
  isMissingRelation(error: unknown): boolean;
  /** Whether `COPY (…) TO STDOUT` streams a select out (the lake export's bulk read). */
  readonly copiesOut: boolean;
}

const errorCode = (error: unknown) => String((error as { code?: unknown } | null)?.code ?? '');

const postgresLike = {
  flavour: 'postgres',
  sqlFolder: undefined,
  dateText: (expr: string) => `to_char(${expr}, 'YYYY-MM-DD')`,
  jsonInSql: true,
  decimalsAsStrings: false,
  // 42P01 undefined_table, 42703 undefined_column.
  isMissingRelation: (error: unknown) => ['42P01', '42703'].includes(errorCode(error)),
  copiesOut: true,
} as const;

const ADAPTERS: Record<EngineKind, EngineAdapter> = {
  pglite: {
    ...postgresLike,
    id: 'pglite',
    label: 'PGlite',
    readConfinement: 'set-role',
    oldestOpenTransactionSql: undefined,
    shortStatementSetup: undefined,
  },
  postgres: {
    ...postgresLike,
    id: 'postgres',
    label: 'PostgreSQL',
    readConfinement: 'login',
    oldestOpenTransactionSql: `SELECT min(xact_start) AS started FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL`,
    shortStatementSetup: 'SET LOCAL jit = off',
  },
  mysql: {
    id: 'mysql',
    label: 'MySQL/MariaDB',
    flavour: 'mysql',
    sqlFolder: 'mysql',
    dateText: (expr) => `date_format(${expr}, '%Y-%m-%d')`,
    jsonInSql: false,
    decimalsAsStrings: true,
    readConfinement: 'none',
    oldestOpenTransactionSql: undefined,
    shortStatementSetup: undefined,
    isMissingRelation: (error) => ['ER_NO_SUCH_TABLE', 'ER_BAD_FIELD_ERROR'].includes(errorCode(error)),
    copiesOut: false,
  },
};

/** The adapter of the engine `DATABASE_URL` names (none: PGlite), before it is opened. */
export function engineOfUrl(databaseUrl: string | undefined): EngineAdapter {
  if (!databaseUrl) return ADAPTERS.pglite;
  return /^postgres(ql)?:/.test(databaseUrl) ? ADAPTERS.postgres : ADAPTERS.mysql;
}

/** The adapter of the engine `db` runs on. */
export function engineOf(db: Pick<Db, 'kind'>): EngineAdapter {
  return ADAPTERS[db.kind];
}

/** What a handle built over `db` (a reader, a wrapper) carries over of it: its engine and its schemas. */
export function engineIdentity(db: Db): Pick<Db, 'kind' | 'dialect' | 'schemas'> {
  return { kind: db.kind, dialect: db.dialect, schemas: db.schemas };
}
