/**
 * The differences between the SQL the application writes (PostgreSQL flavour: `$1` parameters, `RETURNING`,
 * `now()`) and what MySQL/MariaDB accepts, translated in this one place. Identifiers that are reserved words
 * in MySQL (`cursor`, `trigger`, `key`) are written double-quoted in application SQL: PostgreSQL reads them as
 * identifiers, and so does MySQL, whose sessions run with `ANSI_QUOTES` (see `MYSQL_SESSION_SQL`).
 */

/** Set on every MySQL/MariaDB connection: UTC clock, strict typing, `"ident"` quoting. */
export const MYSQL_SESSION_SQL =
  "SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,ANSI_QUOTES,NO_ZERO_IN_DATE,NO_ZERO_DATE," +
  "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";

export interface MysqlStatement {
  /** The statement with parameters inlined as escaped literals. */
  sql: string;
  /** The column of a stripped `RETURNING <column>`: the engine answers it from the insert id. */
  returning?: string;
  /** The column of a counted delete (`WITH gone AS (DELETE … RETURNING 1) SELECT count(*) AS n FROM gone`): the engine answers it from the rows affected. */
  affected?: string;
}

/** `<> ALL($n::text[])` / `= ANY($n::text[])` (the cast optional) at the start of a string. */
const ARRAY_COMPARISON = /(<>|!=|=)\s*(ALL|ANY)\s*\(\s*\$(\d+)(?:::\w+(?:\s+\w+)*\[\])?\s*\)/iy;

/** A delete counted through a data-modifying CTE, PostgreSQL's `DELETE … RETURNING` idiom. */
const COUNTED_DELETE =
  /^\s*WITH\s+(\w+)\s+AS\s*\(\s*(DELETE\s+FROM\s[\s\S]*?)\s+RETURNING\s+1\s*\)\s*SELECT\s+count\(\*\)\s+AS\s+(\w+)\s+FROM\s+(\w+)\s*;?\s*$/i;

/**
 * Rewrites one application statement for MySQL: `$n` → the escaped literal of `params[n-1]` (a parameter may
 * repeat, in any order), `now()` → `now(6)` (microseconds, as PostgreSQL), a trailing `RETURNING <col>` of a
 * single-row INSERT removed (MySQL has no RETURNING; the insert id stands for it), `x <> ALL($n::text[])` /
 * `x = ANY($n::text[])` over an array parameter → `x NOT IN (…)` / `x IN (…)` (an empty array: the comparison
 * over an empty set, true for ALL and false for ANY, as PostgreSQL), and a delete counted through
 * `WITH gone AS (DELETE … RETURNING 1) SELECT count(*) AS n FROM gone` → the plain DELETE, answered with its rows
 * affected. Quoted strings, quoted identifiers and comments are left untouched.
 */
export function toMysql(sql: string, params: readonly unknown[], literal: (value: unknown) => string): MysqlStatement {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const skip = quotedEnd(sql, i);
    if (skip > i) {
      out += sql.slice(i, skip);
      i = skip;
      continue;
    }
    ARRAY_COMPARISON.lastIndex = i;
    const array = c === '<' || c === '!' || c === '=' ? ARRAY_COMPARISON.exec(sql) : null;
    if (array) {
      const [whole, op, quantifier, digits] = array as unknown as [string, string, string, string];
      const value = params[Number(digits) - 1];
      if (!Array.isArray(value)) throw new Error(`SQL parameter $${digits} of ${quantifier}(…) is not an array`);
      const negated = op !== '=';
      if ((quantifier.toUpperCase() === 'ALL') !== negated) {
        throw new Error(`${op} ${quantifier}(…) has no MySQL translation: use <> ALL or = ANY`);
      }
      const list = value.length > 0 ? `(${value.map(literal).join(', ')})` : '(SELECT NULL FROM DUAL WHERE FALSE)';
      out += `${negated ? 'NOT IN' : 'IN'} ${list}`;
      i += whole.length;
      continue;
    }
    if (c === '$' && /\d/.test(sql[i + 1] ?? '')) {
      const digits = /^\d+/.exec(sql.slice(i + 1))?.[0] ?? '';
      const index = Number(digits) - 1;
      if (index >= params.length) throw new Error(`SQL parameter $${digits} has no value (${params.length} given)`);
      out += literal(params[index]);
      i += 1 + digits.length;
      continue;
    }
    if (sql.slice(i, i + 5).toLowerCase() === 'now()' && !/[\w.]/.test(sql[i - 1] ?? ' ')) {
      out += 'now(6)';
      i += 5;
      continue;
    }
    out += c;
    i++;
  }
  const counted = COUNTED_DELETE.exec(out);
  if (counted && counted[1] === counted[4]) return { sql: counted[2] as string, affected: counted[3] as string };
  const returning = /^\s*INSERT\b[\s\S]*\bRETURNING\s+(\w+)\s*;?\s*$/i.exec(out);
  if (!returning?.[1]) return { sql: out };
  return { sql: out.slice(0, out.search(/\bRETURNING\s+\w+\s*;?\s*$/i)), returning: returning[1] };
}

/** Index just past the quoted string, quoted identifier or comment starting at `i`, or `i` if none starts there. */
function quotedEnd(sql: string, i: number): number {
  const c = sql[i];
  if (c === "'" || c === '"' || c === '`') {
    let j = i + 1;
    while (j < sql.length) {
      if (sql[j] === '\\' && c === "'") j += 2;
      else if (sql[j] === c && sql[j + 1] === c) j += 2;
      else if (sql[j] === c) return j + 1;
      else j++;
    }
    return sql.length;
  }
  if (c === '-' && sql[i + 1] === '-') {
    const end = sql.indexOf('\n', i);
    return end < 0 ? sql.length : end + 1;
  }
  if (c === '/' && sql[i + 1] === '*') {
    const end = sql.indexOf('*/', i + 2);
    return end < 0 ? sql.length : end + 2;
  }
  return i;
}
