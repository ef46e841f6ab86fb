import type { Queryable, Schemas } from '../../db/types.ts';
import { EtlError } from '../../internal/errors.ts';
import type { RangeFetcher } from '../../sources/evm/fetchRange.ts';
import { readEvmHashes } from './evmStore.ts';

/** Heights compared per step of the walk: one batch of headers and one query. */
const STEP = 64;

export interface AncestorSearch {
  db: Queryable;
  schemas: Schemas;
  chainId: number;
  fetcher: Pick<RangeFetcher, 'headers'>;
  /** The stored height whose child did not fit: the walk starts here. */
  from: number;
  /** How far down the walk goes before giving up. */
  maxDepth: number;
  signal?: AbortSignal;
}

/**
 * Walks down from `from` comparing stored hashes with the node's until they agree (or nothing is stored at a
 * height): that height is the common ancestor, everything stored above it is orphaned.
 * @throws EtlError `ETL_REORG_TOO_DEEP` when no agreement is found within `maxDepth` blocks.
 */
export async function findCommonAncestor(search: AncestorSearch): Promise<number> {
  const { db, schemas, chainId, fetcher, from, maxDepth, signal } = search;
  const floor = Math.max(0, from - maxDepth + 1);
  for (let high = from; high >= floor; high -= STEP) {
    const low = Math.max(floor, high - STEP + 1);
    const [stored, node] = await Promise.all([
      readEvmHashes(db, schemas, chainId, low, high),
      fetcher.headers(low, high, signal),
    ]);
    for (let n = high; n >= low; n--) {
      const mine = stored.get(n);
      if (mine === undefined || mine === node.get(n)?.hash) return n;
    }
  }
  if (floor === 0) {
    throw new EtlError(
      'ETL_REORG_TOO_DEEP',
      `Chain ${chainId}: the node shares no block with the stored chain, down to genesis (a dev chain restarted?): delete the stored rows of chain ${chainId} (staging.evm_*) or point EVM_RPC_URLS at the node they came from`,
      { details: { chainId, from } },
    );
  }
  throw new EtlError(
    'ETL_REORG_TOO_DEEP',
    `Chain ${chainId}: the stored chain leaves the node's more than ${maxDepth} blocks below block ${from} (blocks that deep were taken as final): reload from before the fork with \`crypto-etl run evm-blocks --from <block> --to ${from}\`, which replaces every block that differs`,
    { details: { chainId, from, maxDepth } },
  );
}
