import { describe, expect, it } from 'vitest';
import { parseEvmBlocksArgs } from './args.ts';

describe('parseEvmBlocksArgs', () => {
  it('args: the CLI strings become blocks, dates and a follow flag', () => {
    expect(parseEvmBlocksArgs({ from: '100', to: ' 200 ' })).toEqual({
      from: { block: 100 },
      to: { block: 200 },
      follow: false,
    });
    expect(parseEvmBlocksArgs({ from: '2026-01-31', follow: true })).toEqual({
      from: { date: '2026-01-31' },
      to: undefined,
      follow: true,
    });
    expect(parseEvmBlocksArgs({ from: 5, follow: 'true' })).toMatchObject({ from: { block: 5 }, follow: true });
    expect(parseEvmBlocksArgs({})).toEqual({ from: undefined, to: undefined, follow: false });
  });

  it('args: a bad value, --to without --from and a reversed range are refused, each said plainly', () => {
    expect(() => parseEvmBlocksArgs({ from: 'latest' })).toThrow(
      /--from: expected a block number or a date such as 2026-01-31 \(got "latest"\)/,
    );
    expect(() => parseEvmBlocksArgs({ from: '2026-13-45' })).toThrow(/--from: expected a block number/);
    expect(() => parseEvmBlocksArgs({ to: '10' })).toThrow(/--to needs --from/);
    expect(() => parseEvmBlocksArgs({ from: '10', to: '9' })).toThrow(
      expect.objectContaining({
        code: 'ETL_INPUT_INVALID',
        message: expect.stringMatching(/--from 10 is after --to 9/),
      }),
    );
  });
});
