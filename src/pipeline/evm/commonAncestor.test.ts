import { describe, expect, it } from 'vitest';
import type { Queryable } from '../../db/types.ts';
import { findCommonAncestor } from './commonAncestor.ts';

/** Stored hashes by height, served the way `readEvmHashes` asks for them. */
function storedChain(hashes: Map<number, string>): Queryable {
  return {
    async query(_sql: string, params?: readonly unknown[]) {
      const [, from, to] = params as [number, number, number];
      return [...hashes].filter(([n]) => n >= from && n <= to).map(([number, hash]) => ({ number, hash })) as never[];
    },
    exec: async () => {},
    writeRows: async () => 0,
  };
}

const node = (hashes: Map<number, string>) => ({
  async headers(from: number, to: number) {
    const out = new Map<number, { hash: string; timestamp: number }>();
    for (let n = from; n <= to; n++) if (hashes.has(n)) out.set(n, { hash: hashes.get(n) as string, timestamp: n });
    return out;
  },
});

const chain = (length: number, fork: number, tag: string) =>
  new Map(Array.from({ length }, (_, n) => [n, n < fork ? `0xcommon${n}` : `0x${tag}${n}`]));
const schemas = { etl: 'etl', staging: 'staging', warehouse: 'warehouse' };

describe('findCommonAncestor', () => {
  it('behavior: walks down across steps to the highest height both chains agree on', async () => {
    const search = { schemas, chainId: 1, maxDepth: 1024 };
    const found = await findCommonAncestor({
      ...search,
      db: storedChain(chain(200, 90, 'old')),
      fetcher: node(chain(205, 90, 'new')),
      from: 199,
    });
    expect(found).toBe(89);
  });

  it('error: a fork deeper than maxDepth, or a chain sharing nothing, fails with ETL_REORG_TOO_DEEP', async () => {
    const search = { schemas, chainId: 31337, from: 199 };
    await expect(
      findCommonAncestor({
        ...search,
        db: storedChain(chain(200, 50, 'a')),
        fetcher: node(chain(200, 50, 'b')),
        maxDepth: 100,
      }),
    ).rejects.toMatchObject({
      code: 'ETL_REORG_TOO_DEEP',
      message: expect.stringMatching(/more than 100 blocks below/),
    });
    await expect(
      findCommonAncestor({
        ...search,
        db: storedChain(chain(200, 0, 'a')),
        fetcher: node(chain(200, 0, 'b')),
        maxDepth: 1024,
      }),
    ).rejects.toThrow(/shares no block with the stored chain, down to genesis \(a dev chain restarted\?\)/);
  });
});
