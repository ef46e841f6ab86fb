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

  it('behavior: <> ALL / = ANY over an array parameter become NOT IN / IN; over an empty one, an empty set', () => {
    const sql = 'DELETE FROM t WHERE n BETWEEN $1 AND $2 AND h <> ALL($3::text[]) AND k = ANY ($4)';
    expect(toMysql(sql, [1, 2, ['a', 'b'], [3]], literal).sql).toBe(
      "DELETE FROM t WHERE n BETWEEN 1 AND 2 AND h NOT IN ('a', 'b') AND k IN (3)",
    );
    // PostgreSQL: x <> ALL('{}') is true and x = ANY('{}') false, as NOT IN / IN over no row.
    expect(toMysql('SELECT 1 WHERE h <> ALL($1::text[]) OR h = ANY($1::text[])', [[]], literal).sql).toBe(
      'SELECT 1 WHERE h NOT IN (SELECT NULL FROM DUAL WHERE FALSE) OR h IN (SELECT NULL FROM DUAL WHERE FALSE)',
    );
    expect(() => toMysql('SELECT 1 WHERE h = ANY($1)', ['a'], literal)).toThrow(/\$1 of ANY\(…\) is not an array/);
    expect(() => toMysql('SELECT 1 WHERE h = ALL($1)', [['a']], literal)).toThrow(/no MySQL translation/);
    expect(toMysql("SELECT '<> ALL($1)' FROM t WHERE a = $1", [7], literal).sql).toBe(
      "SELECT '<> ALL($1)' FROM t WHERE a = 7",
    );
  });

  it('behavior: a delete counted through a RETURNING CTE becomes the DELETE, answered with its rows affected', () => {
    const sql = `WITH gone AS (DELETE FROM s.t WHERE chain_id = $1 AND n > $2 RETURNING 1)
       SELECT count(*) AS n FROM gone`;
    expect(toMysql(sql, [1, 9], literal)).toEqual({
      sql: 'DELETE FROM s.t WHERE chain_id = 1 AND n > 9',
      affected: 'n',
    });
    expect(
      toMysql('WITH gone AS (DELETE FROM t RETURNING 1) SELECT count(*) AS n FROM other', [], literal).affected,
    ).toBe(undefined);
  });
});
