import { type EventTableEngine, eventTableStatements } from '../../db/eventTables.ts';
import { columnsOfTables } from '../../db/introspect.ts';
import type { Db, Queryable, Schemas, WriteTarget } from '../../db/types.ts';
import { EVENT_KEY, type EventSpec, eventTableColumns } from '../../sources/evm/events/abi.ts';
import type { Token } from '../../sources/evm/events/contracts.ts';
import { rowValues, tableWrite } from '../../tables/defineTable.ts';
import { evmTokens } from '../../tables/evm.ts';

/** Where an event's rows load: keyed by (chain id, block hash, log index); a log's content is fixed by its key. */
export function eventTarget(schemas: Schemas, spec: EventSpec): WriteTarget {
  return {
    table: `${schemas.staging}.${spec.table}`,
    columns: eventTableColumns(spec),
    key: EVENT_KEY,
    onConflict: 'ignore',
  };
}

/**
 * Creates the tables of events whose table is missing (partitioned by block where the engine partitions, see
 * db/eventTables.ts), and widens those missing an argument's column. Only when something is missing: `ALTER TABLE`
 * locks the table against readers even when it changes nothing. On MySQL the DDL commits on its own: it runs in
 * the run's first checkpoint, before any data.
 */
export async function ensureEventTables(
  tx: Queryable,
  db: EventTableEngine & Pick<Db, 'schemas'>,
  specs: readonly EventSpec[],
): Promise<void> {
  const { staging } = db.schemas;
  const tables = await columnsOfTables(
    tx,
    staging,
    specs.map((s) => s.table),
  );
  for (const spec of specs) {
    const existing = tables.get(spec.table);
    const have = existing && new Set(existing.map((c) => c.name));
    const columns = spec.columns.map((c) => ({ name: c.name, type: c.sqlType }));
    for (const statement of eventTableStatements(db, staging, spec.table, columns, have)) await tx.exec(statement);
  }
}

const tokenValues = rowValues(evmTokens);

/** The token list, per chain: symbols and decimals for the warehouse's amounts (evm_tokens, tables/evm.ts). */
export function tokenWrite(schemas: Schemas, chainId: number, tokens: readonly Token[]) {
  const { table, columns, key } = tableWrite(evmTokens);
  return {
    target: { table: `${schemas.staging}.${table}`, columns, key, onConflict: 'update' } satisfies WriteTarget,
    rows: tokens.map((t) =>
      tokenValues({ chain_id: chainId, address: t.address, symbol: t.symbol, decimals: t.decimals }),
    ),
  };
}

/**
 * Before a range loads over heights that may hold rows (a rerun, a backfill, another branch): deletes the rows at
 * those heights whose block is not one of the answer's. A height the answer has no log at keeps no row.
 */
export async function deleteOtherEventBranches(
  tx: Queryable,
  schemas: Schemas,
  specs: readonly EventSpec[],
  chainId: number,
  range: { from: number; to: number; hashes: readonly string[] },
): Promise<void> {
  for (const spec of specs) {
    await tx.query(
      `DELETE FROM ${schemas.staging}.${spec.table} WHERE chain_id = $1 AND block_number BETWEEN $2 AND $3 AND block_hash <> ALL($4::text[])`,
      [chainId, range.from, range.to, range.hashes],
    );
  }
}

/** Deletes every event row above `ancestor` (the orphans of a reorg); returns how many. */
export async function deleteEventsAbove(
  tx: Queryable,
  schemas: Schemas,
  specs: readonly EventSpec[],
  chainId: number,
  ancestor: number,
): Promise<number> {
  let deleted = 0;
  for (const spec of specs) {
    const [row] = await tx.query<{ n: number | string }>(
      `WITH gone AS (DELETE FROM ${schemas.staging}.${spec.table} WHERE chain_id = $1 AND block_number > $2 RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [chainId, ancestor],
    );
    deleted += Number(row?.n ?? 0);
  }
  return deleted;
}
