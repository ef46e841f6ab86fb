import { describe, expect, it } from 'vitest';
import { blockAtTime } from './blockAtTime.ts';

describe('blockAtTime', () => {
  const times = [100, 112, 124, 124, 136, 148];
  const fetcher = {
    calls: 0,
    async headers(from: number, _to: number) {
      this.calls++;
      return new Map([[from, { hash: `0x${from}`, timestamp: times[from] as number }]]);
    },
  };

  it('behavior: finds the first block at or after a time in log2(head) header calls', async () => {
    expect(await blockAtTime(fetcher, 5, 124)).toBe(2);
    expect(await blockAtTime(fetcher, 5, 125)).toBe(4);
    expect(await blockAtTime(fetcher, 5, 0)).toBe(0);
    fetcher.calls = 0;
    expect(await blockAtTime(fetcher, 5, 1_000)).toBe(6);
    expect(fetcher.calls).toBeLessThanOrEqual(3);
  });
});
