import type { Queryable, Schemas, WriteTarget } from '../../db/types.ts';
import { EVM_TABLES, type EvmRows, type EvmTable } from '../../sources/evm/rows.ts';
import { tableWrite } from '../../tables/defineTable.ts';

const TABLES: readonly EvmTable[] = ['blocks', 'transactions', 'receipts', 'logs'];

/**
 * Where each EVM table loads: its declared columns and natural key (tables/evm.ts). `ignore`: a row's content is
 * fixed by its hash, a rerun has nothing to change.
 */
export function evmTargets(schemas: Schemas): Record<EvmTable, WriteTarget> {
  const target = (table: EvmTable): WriteTarget => {
    const { table: name, columns, key } = tableWrite<string>(EVM_TABLES[table]);
    return { table: `${schemas.staging}.${name}`, columns, key, onConflict: 'ignore' };
  };
  return {
    blocks: target('blocks'),
    transactions: target('transactions'),
    receipts: target('receipts'),
    logs: target('logs'),
  };
}

/** The height and block-hash columns of each table (the blocks table names them for itself). */
const HEIGHT: Record<EvmTable, { number: string; hash: string }> = {
  blocks: { number: 'number', hash: 'hash' },
  transactions: { number: 'block_number', hash: 'block_hash' },
  receipts: { number: 'block_number', hash: 'block_hash' },
  logs: { number: 'block_number', hash: 'block_hash' },
};

/** The rows of one range, table by table, in the order they load. */
export function evmWrites(schemas: Schemas, range: EvmRows): { target: WriteTarget; rows: readonly unknown[][] }[] {
  const targets = evmTargets(schemas);
  return TABLES.map((table) => ({ target: targets[table], rows: range.rows[table] }));
}

/**
 * Before a range loads where rows may exist (a rerun, a branch loaded earlier): deletes the rows at its heights
 * that belong to other blocks than its own, so each height holds exactly the block the node calls canonical.
 * Must run inside the range's transaction.
 */
export async function deleteOtherBranches(tx: Queryable, schemas: Schemas, chainId: number, range: EvmRows) {
  const targets = evmTargets(schemas);
  for (const table of TABLES) {
    const { number, hash } = HEIGHT[table];
    await tx.query(
      `DELETE FROM ${targets[table].table} WHERE chain_id = $1 AND ${number} BETWEEN $2 AND $3 AND ${hash} <> ALL($4::text[])`,
      [chainId, range.from, range.to, range.hashes],
    );
  }
}

/** Deletes every block above `ancestor` with its transactions, receipts and logs; returns the blocks deleted. */
export async function deleteEvmAbove(tx: Queryable, schemas: Schemas, chainId: number, ancestor: number) {
  const targets = evmTargets(schemas);
  let blocks = 0;
  for (const table of [...TABLES].reverse()) {
    const rows = await tx.query<{ n: number | string }>(
      `WITH gone AS (DELETE FROM ${targets[table].table} WHERE chain_id = $1 AND ${HEIGHT[table].number} > $2 RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [chainId, ancestor],
    );
    if (table === 'blocks') blocks = Number(rows[0]?.n ?? 0);
  }
  return blocks;
}

/** Stored block hashes of `from`–`to` by height. */
export async function readEvmHashes(
  db: Queryable,
  schemas: Schemas,
  chainId: number,
  from: number,
  to: number,
): Promise<Map<number, string>> {
  const rows = await db.query<{ number: number | string; hash: string }>(
    `SELECT number, hash FROM ${schemas.staging}.evm_blocks WHERE chain_id = $1 AND number BETWEEN $2 AND $3`,
    [chainId, from, to],
  );
  return new Map(rows.map((r) => [Number(r.number), r.hash]));
}

/** The highest stored block of a chain, or -1. */
export async function maxEvmBlock(db: Queryable, schemas: Schemas, chainId: number): Promise<number> {
  const [row] = await db.query<{ n: number | string | null }>(
    `SELECT max(number) AS n FROM ${schemas.staging}.evm_blocks WHERE chain_id = $1`,
    [chainId],
  );
  return row?.n == null ? -1 : Number(row.n);
}
