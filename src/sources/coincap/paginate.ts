import type { ListEnvelope } from './schemas.ts';

/** CoinCap's largest page (`limit`). */
export const MAX_LIMIT = 2000;

/**
 * Pages of a `limit`/`offset` listing until a short or empty page. Each item gets the envelope's `timestamp` as
 * `updated` unless it carries its own.
 */
export async function* pages(
  fetchPage: (limit: number, offset: number) => Promise<ListEnvelope>,
  perPage: number,
  signal: AbortSignal,
): AsyncGenerator<{ records: Record<string, unknown>[]; page: number; offset: number; timestamp: number }> {
  for (let page = 1, offset = 0; !signal.aborted; page++) {
    const body = await fetchPage(perPage, offset);
    const records = body.data.map((item) => ({ updated: body.timestamp, ...item }));
    offset += body.data.length;
    yield { records, page, offset, timestamp: body.timestamp };
    if (body.data.length < perPage) return;
  }
}
