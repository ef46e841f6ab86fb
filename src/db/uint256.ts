import type { Db } from './types.ts';

/**
 * uint256 columns (wei, token amounts: up to 78 digits) on each engine, and how to order and sum them in SQL.
 * PostgreSQL and PGlite hold them as `numeric(78,0)`. MySQL/MariaDB's DECIMAL stops at 65 digits, so there they are
 * canonical decimal text — `varchar(78)` ASCII, no sign, no leading zero, held to it by a CHECK (docs/mysql.md):
 * exact, and read back as the same string PostgreSQL's driver returns.
 */

/** Digits of the low half of a MySQL sum: each half's total stays within DECIMAL(65,0) for up to 10^26 rows. */
const HALF = 39;
const TEN_TO_HALF = `1${'0'.repeat(HALF)}`;

/**
 * An ORDER BY term putting a uint256 expression in numeric order. MySQL: canonical text of more digits is the
 * larger number, and of as many digits compares character by character, so (length, text) is numeric order.
 */
export function uintOrder(db: Pick<Db, 'dialect'>, expr: string, direction: 'ASC' | 'DESC' = 'ASC'): string {
  if (db.dialect === 'postgres') return `${expr} ${direction}`;
  return `char_length(${expr}) ${direction}, ${expr} ${direction}`;
}

/**
 * An aggregate summing a uint256 expression exactly, as decimal text (NULL over no row), whatever the size of the
 * total. PostgreSQL: `sum()` of numeric. MySQL: each value is split at its 39th digit from the right; the low and
 * the high halves are summed separately in DECIMAL(65,0) (exact: each half is under 10^39, so 10^26 rows fit), the
 * low total's carry is added to the high one, and the two are joined as text.
 */
export function uintSum(db: Pick<Db, 'dialect'>, expr: string): string {
  if (db.dialect === 'postgres') return `sum(${expr})::text`;
  const low = `sum(cast(right(${expr}, ${HALF}) AS decimal(65,0)))`;
  const high = `sum(cast(if(char_length(${expr}) > ${HALF}, left(${expr}, char_length(${expr}) - ${HALF}), '0') AS decimal(65,0)))`;
  const carry = `(${low} DIV ${TEN_TO_HALF})`;
  const top = `(${high} + ${carry})`;
  const rest = `cast(${low} - ${carry} * ${TEN_TO_HALF} AS char)`;
  return `if(${top} = 0, ${rest}, concat(cast(${top} AS char), lpad(${rest}, ${HALF}, '0')))`;
}
