/** The columns of a price row, in API order. */
export const PRICE_COLUMNS = [
  'coin_id',
  'vs_currency',
  'time',
  'open',
  'high',
  'low',
  'close',
  'average',
  'volume',
  'market_cap',
  'points',
] as const;

const TEXT = new Set(['coin_id', 'vs_currency', 'time', 'points']);

/** The exact decimals of a price row: sent as JSON numbers (PostgreSQL casts them, MySQL's are converted). */
export const DECIMAL_PRICE_COLUMNS = PRICE_COLUMNS.filter((c) => !TEXT.has(c));

export interface PricesQueryOptions {
  warehouse: string;
  interval: 'daily' | 'hourly';
  coins: readonly string[];
  vs: string;
  from?: Date;
  to?: Date;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
  /** `json`: one row `{ items, more }`, the page rendered by PostgreSQL; `csv`: the rows themselves. */
  format: 'json' | 'csv';
  /**
   * Whether the database renders the JSON page (json_agg). Where it cannot (MySQL), the rows themselves come
   * back in both formats and the caller renders them.
   */
  jsonInSql: boolean;
}

/** The next UTC midnight at or after an instant, as a date: day rows whose midnight falls in [from, to). */
const ceilDay = (d: Date) => new Date(Math.ceil(d.getTime() / 86_400_000) * 86_400_000).toISOString().slice(0, 10);

/**
 * The statement of one page of `/api/prices` (limit + 1 rows read, to know whether another page exists).
 * For JSON, PostgreSQL renders the page: parsing 100 rows of 11 columns in Node and serializing them again
 * cost more than the query itself (bench/api: 2.2× the requests/s once moved into the database).
 */
export function pricesQuery(o: PricesQueryOptions): { text: string; values: unknown[] } {
  const daily = o.interval === 'daily';
  const values: unknown[] = [o.vs, ...o.coins];
  if (o.from) values.push(daily ? ceilDay(o.from) : o.from);
  if (o.to) values.push(daily ? ceilDay(o.to) : o.to);
  values.push(o.limit + 1, o.offset);
  const rendered = o.jsonInSql && o.format === 'json';
  if (rendered) values.push(o.limit);
  // The same few texts over and over: built once each, and the same string every time (the read-only pool
  // names its prepared statements by text, so a string it has seen compares at once).
  const shape = `${o.warehouse} ${o.interval} ${o.coins.length} ${o.from ? 1 : 0}${o.to ? 1 : 0} ${o.order} ${o.jsonInSql ? o.format : 'rows'}`;
  let text = texts.get(shape);
  if (text === undefined) {
    text = pricesText(o);
    texts.set(shape, text);
  }
  return { text, values };
}

/** Statement texts by shape: a handful (interval × coins × bounds × order × format), at most 2 × 10 × 4 × 2 × 3. */
const texts = new Map<string, string>();

function pricesText(o: PricesQueryOptions): string {
  const daily = o.interval === 'daily';
  const period = daily ? 'day' : 'hour';
  let n = 1;
  const where = [`vs_currency = $1`, `coin_id IN (${o.coins.map(() => `$${++n}`).join(', ')})`];
  if (o.from) where.push(`${period} >= $${++n}`);
  if (o.to) where.push(`${period} < $${++n}`);
  const order = `${period} ${o.order === 'asc' ? 'ASC' : 'DESC'}, coin_id`;
  const page = `FROM ${o.warehouse}.prices_${o.interval} WHERE ${where.join(' AND ')} ORDER BY ${order}
    LIMIT $${++n} OFFSET $${++n}`;
  if (!o.jsonInSql) {
    const select = PRICE_COLUMNS.map((c) => (c === 'time' ? `${period} AS time` : c));
    return `SELECT ${select.join(', ')} ${page}`;
  }
  if (o.format === 'csv') {
    const time = daily ? `(day::timestamp AT TIME ZONE 'UTC')` : 'hour';
    const select = PRICE_COLUMNS.map((c) =>
      c === 'time' ? `${time} AS time` : TEXT.has(c) ? c : `${c}::float8 AS ${c}`,
    );
    return `SELECT ${select.join(', ')} ${page}`;
  }
  const utc = daily ? 'day::timestamp' : `(hour AT TIME ZONE 'UTC')`;
  const fields = PRICE_COLUMNS.map((c) => `'${c}', ${TEXT.has(c) ? c : `${c}::float8`}`).join(', ');
  const limit = ++n;
  return `SELECT coalesce(json_agg(json_build_object(${fields}) ORDER BY n) FILTER (WHERE n <= $${limit}),
        '[]')::text AS items, count(*) > $${limit} AS more
      FROM (SELECT row_number() OVER (ORDER BY ${order}) AS n, * FROM (
        SELECT to_char(${utc}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS time, * ${page}) AS r) AS p`;
}
