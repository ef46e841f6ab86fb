import { describe, expect, it } from 'vitest';
import { anyQueryRecord } from './anyQueryStream.ts';
import { columnIdentifier, pgTypeOf, planColumns, widen } from './columnTypes.ts';

describe('Dune column types', () => {
  it.each([
    ['varchar', 'text'],
    ['varbinary', 'text'],
    ['boolean', 'boolean'],
    ['integer', 'integer'],
    ['bigint', 'bigint'],
    ['uint256', 'numeric'],
    ['int256', 'numeric'],
    ['decimal(38,0)', 'numeric'],
    ['double', 'double precision'],
    ['date', 'date'],
    ['timestamp(3) with time zone', 'timestamptz'],
    ['array(integer)', 'jsonb'],
    ['map(varchar, double)', 'jsonb'],
    ['ipaddress', 'text'],
  ])('args: Dune %s → %s', (dune, pg) => {
    expect(pgTypeOf(dune)).toBe(pg);
  });

  it('behavior: widening picks the narrowest type holding both', () => {
    expect(widen('integer', 'bigint')).toBe('bigint');
    expect(widen('numeric', 'integer')).toBe('numeric');
    expect(widen('bigint', 'double precision')).toBe('numeric');
    expect(widen('date', 'timestamptz')).toBe('timestamptz');
    expect(widen('boolean', 'integer')).toBe('text');
    expect(widen('jsonb', 'jsonb')).toBe('jsonb');
  });

  it('behavior: names become safe identifiers without clashes; missing types are guessed from rows', () => {
    const taken = new Set(['row_key', 'volume']);
    expect(columnIdentifier('Volume', taken)).toBe('volume_2');
    expect(columnIdentifier('24h Volume ($)', taken)).toBe('c_24h_volume');
    // Transfer queries name columns `from` and `to`: reserved words would break the unquoted DDL and COPY.
    expect(columnIdentifier('from', taken)).toBe('from_');
    expect(columnIdentifier('To', taken)).toBe('to_');
    expect(columnIdentifier('order', taken)).toBe('order_');
    expect(columnIdentifier('from_address', taken)).toBe('from_address');
    expect(columnIdentifier('row_key', taken)).toBe('row_key_2');
    expect(planColumns({ column_names: ['A b', 'n', 'o'] }, [{ 'A b': 'x', n: 1.5, o: { k: 1 } }])).toEqual([
      { source: 'A b', name: 'a_b', type: 'text' },
      { source: 'n', name: 'n', type: 'numeric' },
      { source: 'o', name: 'o', type: 'jsonb' },
    ]);
  });

  it('error: a value that does not fit its column is rejected with the column and the value', () => {
    const record = anyQueryRecord([
      { source: 'n', name: 'n', type: 'bigint' },
      { source: 't', name: 't', type: 'timestamptz' },
    ]);
    expect(record.safeParse({ n: '12', t: '2024-01-01 00:00:00.000 UTC' }).success).toBe(true);
    const bad = record.safeParse({ n: 1.5, t: 'soon' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'n: expected bigint, received 1.5',
      't: expected timestamptz, received "soon"',
    ]);
  });
});
