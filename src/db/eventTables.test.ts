import { describe, expect, it } from 'vitest';
import { eventTableStatements } from './eventTables.ts';

describe('eventTableStatements', () => {
  // A contract set and event with long names: the table is cut to 63 characters by eventSpec.
  const table = `evm_event_${'a_very_long_contract_set_name'}_${'AnEventWithAVeryLongName'.toLowerCase()}`.slice(0, 63);
  const columns = [
    { name: 'from', type: 'text' as const },
    { name: 'amount', type: 'uint256' as const },
  ];

  it.each(['postgres', 'mysql'] as const)(
    'behavior: on %s every index name fits the engine (≤ 63 characters)',
    (dialect) => {
      const sql = eventTableStatements({ dialect }, 'staging', table, columns, undefined).join('\n');
      const names = [...sql.matchAll(/INDEX (?:IF NOT EXISTS )?(\w+)/g)].map((m) => m[1] as string);
      expect(names).toHaveLength(3);
      for (const name of names) expect(name.length, name).toBeLessThanOrEqual(63);
      expect(new Set(names).size).toBe(3);
    },
  );

  it('behavior: two long tables that share their first 55 characters get different index names', () => {
    const names = (t: string) =>
      [
        ...eventTableStatements({ dialect: 'postgres' }, 's', t, columns, undefined)
          .join('\n')
          .matchAll(/INDEX IF NOT EXISTS (\w+)/g),
      ].map((m) => m[1]);
    const stem = `evm_event_${'x'.repeat(45)}`;
    const [a, b] = [names(`${stem}_transfer_single`), names(`${stem}_transfer_batch`)];
    for (const name of a) expect(b).not.toContain(name);
    // A short name keeps the names the tables created before had.
    expect(names('evm_event_erc20_transfer')).toEqual([
      'evm_event_erc20_transfer_blk_idx',
      'evm_event_erc20_transfer_tx_idx',
      'evm_event_erc20_transfer_loaded_idx',
    ]);
  });

  it('behavior: a table that exists gets only the columns it lacks, quoted where a keyword', () => {
    expect(eventTableStatements({ dialect: 'postgres' }, 'staging', 't', columns, new Set(['amount']))).toEqual([
      'ALTER TABLE staging.t ADD COLUMN "from" text',
    ]);
    expect(eventTableStatements({ dialect: 'postgres' }, 'staging', 't', columns, new Set(['from', 'amount']))).toEqual(
      [],
    );
  });
});
