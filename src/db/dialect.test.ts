import { describe, expect, it } from 'vitest';
import { toMysql } from './dialect.ts';

const literal = (v: unknown) => (typeof v === 'string' ? `'${v}'` : String(v));

describe('toMysql', () => {
  it('args: $n become the literals of their parameters, in any order and repeated', () => {
    expect(toMysql('UPDATE t SET a = $2, b = $3 WHERE id = $1 OR parent = $1', [7, 'x', 2.5], literal)).toEqual({
      sql: "UPDATE t SET a = 'x', b = 2.5 WHERE id = 7 OR parent = 7",
    });
  });

  it('behavior: quoted strings, quoted identifiers and comments are left alone', () => {
    const sql = `SELECT '$1 now()', "cursor", \`$2\` -- $1 now()\n/* $2 */ FROM t WHERE a = $1 AND b = 'it''s $2'`;
    expect(toMysql(sql, ['v', 'w'], literal).sql).toBe(
      `SELECT '$1 now()', "cursor", \`$2\` -- $1 now()\n/* $2 */ FROM t WHERE a = 'v' AND b = 'it''s $2'`,
    );
  });

  it('behavior: now() keeps microseconds; a trailing RETURNING of an INSERT is answered from the insert id', () => {
    expect(toMysql('UPDATE t SET at = now() WHERE x_now() = 1', [], literal).sql).toBe(
      'UPDATE t SET at = now(6) WHERE x_now() = 1',
    );
    expect(toMysql('INSERT INTO t (a) VALUES ($1) RETURNING id', [1], literal)).toEqual({
      sql: 'INSERT INTO t (a) VALUES (1) ',
      returning: 'id',
    });
    expect(toMysql('SELECT returning_id FROM t', [], literal).returning).toBeUndefined();
  });

  it('error: a parameter without a value is refused rather than sent as NULL', () => {
    expect(() => toMysql('SELECT $2', [1], literal)).toThrow(/\$2 has no value \(1 given\)/);
  });
});
