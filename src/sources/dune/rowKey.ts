import { createHash } from 'node:crypto';

/** RFC 4122's URL namespace, for name-based UUIDs. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/** A name-based UUID (RFC 4122 version 5: SHA-1 of namespace + name): the same name always gives the same UUID. */
export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** JSON with object keys sorted at every depth, so equal content gives equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

const ROW_NAMESPACE = uuidV5('https://crypto-etl/dune/rows', URL_NAMESPACE);

/** The stable key of a row with no natural key (the seeds' dedupe rule): a UUID of its canonical content. */
export function rowKey(row: Record<string, unknown>): string {
  return uuidV5(canonicalJson(row), ROW_NAMESPACE);
}
