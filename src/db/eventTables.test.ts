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

  it('behavior: a table that exists gets only the columns it lacks, quoted where a keyword', () => {
    expect(eventTableStatements({ dialect: 'postgres' }, 'staging', 't', columns, new Set(['amount']))).toEqual([
      'ALTER TABLE staging.t ADD COLUMN "from" text',
    ]);
    expect(eventTableStatements({ dialect: 'postgres' }, 'staging', 't', columns, new Set(['from', 'amount']))).toEqual(
      [],
    );
  });
});
