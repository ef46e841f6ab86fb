import { parseRange } from '../src/server/params.ts';
import { pricesQuery } from '../src/server/pricesQuery.ts';

/** One request of `/api/prices`, as its query parameters (text, as sent) and the statement's options. */
export interface PriceRequest {
  coin: string;
  interval: 'daily' | 'hourly';
  /** As sent: an instant or a date (UTC midnight). */
  from: string;
  to?: string;
  order: 'asc' | 'desc';
  limit: number;
}

/** The API's own statement for a request (the page rendered as JSON), as the route builds it. */
export const statementOf = (r: PriceRequest) =>
  pricesQuery({
    warehouse: 'warehouse',
    interval: r.interval,
    coins: [r.coin],
    vs: 'usd',
    ...parseRange(r),
    order: r.order,
    limit: r.limit,
    offset: 0,
    format: 'json',
    jsonInSql: true,
  });
