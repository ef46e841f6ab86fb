import { afterEach, describe, expect, it } from 'vitest';
import { startCoinCapEmulator } from '../coincap/server.ts';
import { applyMoves } from './faults.ts';
import { startCoinGeckoEmulator } from './server.ts';

const NOW = Date.UTC(2025, 5, 1, 12, 30, 15);
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe('injected moves of a listing (Fault.thenMove)', () => {
  it('behavior: applyMoves takes the item at `from` to `to`, the items between moving by one', () => {
    expect(applyMoves(['a', 'b', 'c', 'd', 'e'], [{ from: 4, to: 2 }])).toEqual(['a', 'd', 'b', 'c', 'e']);
    expect(
      applyMoves(
        ['a', 'b', 'c'],
        [
          { from: 1, to: 3 },
          { from: 3, to: 1 },
        ],
      ),
    ).toEqual(['a', 'b', 'c']);
    expect(applyMoves(['a', 'b'], [{ from: 5, to: 1 }])).toEqual(['a', 'b']);
  });

  it('behavior: CoinGecko /coins/markets moves after the matching request is answered, ranks following', async () => {
    const cg = await startCoinGeckoEmulator({ coinCount: 40, now: () => NOW });
    closers.push(cg.close);
    const page = async (n: number) =>
      (await (await fetch(`${cg.url}/coins/markets?vs_currency=usd&per_page=10&page=${n}`)).json()) as {
        id: string;
        market_cap_rank: number;
      }[];
    const before = [...(await page(1)), ...(await page(2))];
    cg.inject({ pathPrefix: '/coins/markets', query: { page: '1' }, thenMove: { from: 15, to: 3 } });
    // The matching request is answered in the old order; the next ones in the new.
    expect((await page(1)).map((c) => c.id)).toEqual(before.slice(0, 10).map((c) => c.id));
    const after = [...(await page(1)), ...(await page(2))];
    expect(after[2]?.id).toBe(before[14]?.id);
    expect(after[10]?.id).toBe(before[9]?.id); // page 2 now starts with page 1's last coin
    expect(after.map((c) => c.market_cap_rank)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('behavior: CoinCap /assets moves after the matching request is answered; /assets/{id} keeps its rank', async () => {
    const cc = await startCoinCapEmulator({ assetCount: 30, now: () => NOW });
    closers.push(cc.close);
    const get = async (path: string) => ((await (await fetch(`${cc.url}${path}`)).json()) as { data: unknown }).data;
    const before = (await get('/assets?limit=30')) as { id: string; rank: string }[];
    cc.inject({ pathPrefix: '/assets', query: { offset: '0' }, thenMove: { from: 20, to: 1 } });
    await get('/assets?limit=10&offset=0');
    const after = (await get('/assets?limit=30')) as { id: string; rank: string }[];
    expect(after[0]).toMatchObject({ id: before[19]?.id, rank: '1' });
    expect(after[1]).toMatchObject({ id: before[0]?.id, rank: '2' });
    expect(await get(`/assets/${before[19]?.id}`)).toMatchObject({ rank: '20' });
  });
});
