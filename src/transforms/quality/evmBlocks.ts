import { relationExists } from '../../db/introspect.ts';
import type { Db } from '../../db/types.ts';
import type { QualityResult } from './types.ts';

/** Incomplete blocks and gaps listed per chain in a result's details, at most. */
const EXAMPLES = 10;

export interface EvmBlockCheckOptions {
  /**
   * `EVM_LOG_ADDRESSES`/`EVM_LOG_TOPICS` keep only some logs: a block then holds at most the logs its receipts
   * count, not exactly as many. Default false.
   */
  logsFiltered?: boolean;
}

type Count = number | string;

/**
 * Blocks are stored whole or not at all. Per chain, `evm_block_contents` fails on every stored block whose
 * `transaction_count`, transaction rows and receipt rows differ, or whose logs differ from what its receipts count,
 * and on transactions, receipts or logs whose block is not stored; `evm_block_gaps` fails on heights missing
 * between a chain's first and last stored block. Engines without the EVM tables (MySQL) skip both.
 */
export async function checkEvmBlocks(db: Db, options: EvmBlockCheckOptions = {}): Promise<QualityResult[]> {
  const s = db.schemas.staging;
  if (!(await relationExists(db, `${s}.evm_blocks`))) {
    const skipped = { subject: `${s}.evm_blocks`, status: 'skipped', value: null, threshold: 0 } as const;
    const details = { reason: 'no such table' };
    return [
      { check: 'evm_block_contents', ...skipped, details },
      { check: 'evm_block_gaps', ...skipped, details },
    ];
  }
  const logsDiffer = options.logsFiltered
    ? 'coalesce(l.n, 0) > coalesce(r.logs, 0)'
    : 'coalesce(l.n, 0) <> coalesce(r.logs, 0)';
  const incomplete = await db.query<{
    chain_id: Count;
    number: Count;
    hash: string;
    transaction_count: Count;
    transactions: Count;
    receipts: Count;
    receipt_logs: Count;
    logs: Count;
    bad: Count;
  }>(
    `WITH t AS (SELECT chain_id, block_hash, count(*) AS n FROM ${s}.evm_transactions GROUP BY chain_id, block_hash),
     r AS (SELECT chain_id, block_hash, count(*) AS n, sum(log_count) AS logs FROM ${s}.evm_receipts GROUP BY chain_id, block_hash),
     l AS (SELECT chain_id, block_hash, count(*) AS n FROM ${s}.evm_logs GROUP BY chain_id, block_hash),
     bad AS (
       SELECT b.chain_id, b.number, b.hash, b.transaction_count, coalesce(t.n, 0) AS transactions,
         coalesce(r.n, 0) AS receipts, coalesce(r.logs, 0) AS receipt_logs, coalesce(l.n, 0) AS logs,
         count(*) OVER (PARTITION BY b.chain_id) AS bad,
         row_number() OVER (PARTITION BY b.chain_id ORDER BY b.number) AS nth
       FROM ${s}.evm_blocks b
       LEFT JOIN t ON t.chain_id = b.chain_id AND t.block_hash = b.hash
       LEFT JOIN r ON r.chain_id = b.chain_id AND r.block_hash = b.hash
       LEFT JOIN l ON l.chain_id = b.chain_id AND l.block_hash = b.hash
       WHERE b.transaction_count <> coalesce(t.n, 0) OR coalesce(t.n, 0) <> coalesce(r.n, 0) OR ${logsDiffer}
     )
     SELECT chain_id, number, hash, transaction_count, transactions, receipts, receipt_logs, logs, bad
     FROM bad WHERE nth <= ${EXAMPLES} ORDER BY chain_id, number`,
  );
  // Rows whose block is not stored, by table and block hash: what is left of a block that is gone.
  const orphans = await db.query<{ chain_id: Count; tbl: string; block_hash: string; block_number: Count; n: Count }>(
    ['transactions', 'receipts', 'logs']
      .map(
        (table) =>
          `SELECT chain_id, '${table}' AS tbl, block_hash, min(block_number) AS block_number, count(*) AS n
           FROM ${s}.evm_${table} c
           WHERE NOT EXISTS (SELECT 1 FROM ${s}.evm_blocks b WHERE b.chain_id = c.chain_id AND b.hash = c.block_hash)
           GROUP BY chain_id, block_hash`,
      )
      .join(' UNION ALL '),
  );
  const spans = await db.query<{ chain_id: Count; first: Count; last: Count; n: Count }>(
    `SELECT chain_id, min(number) AS first, max(number) AS last, count(*) AS n FROM ${s}.evm_blocks GROUP BY chain_id`,
  );
  const chains = [...new Set([...spans, ...orphans].map((r) => Number(r.chain_id)))].sort((a, b) => a - b);
  const results: QualityResult[] = [];
  for (const chain of chains) {
    const subject = `evm.${chain}`;
    const blocks = incomplete.filter((r) => Number(r.chain_id) === chain);
    const leftovers = orphans.filter((r) => Number(r.chain_id) === chain);
    const missingBlocks = new Set(leftovers.map((r) => r.block_hash));
    const value = Number(blocks[0]?.bad ?? 0) + missingBlocks.size;
    results.push({
      check: 'evm_block_contents',
      subject,
      status: value === 0 ? 'passed' : 'failed',
      value,
      threshold: 0,
      details: {
        ...(options.logsFiltered ? { logsFiltered: true } : {}),
        incompleteBlocks: blocks.map((b) => ({
          number: Number(b.number),
          hash: b.hash,
          transactionCount: Number(b.transaction_count),
          transactions: Number(b.transactions),
          receipts: Number(b.receipts),
          receiptLogs: Number(b.receipt_logs),
          logs: Number(b.logs),
        })),
        rowsWithoutBlock: leftovers.slice(0, EXAMPLES).map((r) => ({
          table: r.tbl,
          blockNumber: Number(r.block_number),
          blockHash: r.block_hash,
          rows: Number(r.n),
        })),
      },
    });
    const span = spans.find((r) => Number(r.chain_id) === chain);
    if (span) results.push(await gaps(db, chain, span));
  }
  return results;
}

/** Heights missing between a chain's first and last stored block; the gaps are listed only when there are some. */
async function gaps(db: Db, chain: number, span: { first: Count; last: Count; n: Count }): Promise<QualityResult> {
  const first = Number(span.first);
  const last = Number(span.last);
  const missing = last - first + 1 - Number(span.n);
  const listed =
    missing === 0
      ? []
      : await db.query<{ after: Count; before: Count }>(
          `SELECT number AS after, next AS before FROM (
             SELECT number, lead(number) OVER (ORDER BY number) AS next FROM ${db.schemas.staging}.evm_blocks WHERE chain_id = $1
           ) heights WHERE next > number + 1 ORDER BY number LIMIT ${EXAMPLES}`,
          [chain],
        );
  return {
    check: 'evm_block_gaps',
    subject: `evm.${chain}`,
    status: missing === 0 ? 'passed' : 'failed',
    value: missing,
    threshold: 0,
    details: {
      first,
      last,
      blocks: Number(span.n),
      gaps: listed.map((g) => ({ after: Number(g.after), before: Number(g.before) })),
    },
  };
}
