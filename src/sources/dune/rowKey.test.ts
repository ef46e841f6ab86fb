import { describe, expect, it } from 'vitest';
import { canonicalJson, rowKey, uuidV5 } from './rowKey.ts';

describe('row keys', () => {
  it('behavior: uuidV5 matches the RFC 4122 version 5 reference value', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'www.example.com')
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('behavior: the key depends on content only, not on key order', () => {
    const a = rowKey({ wallet: '0xab', txs: 3, tags: { b: 1, a: [2, { d: 1, c: 0 }] } });
    const b = rowKey({ tags: { a: [2, { c: 0, d: 1 }], b: 1 }, txs: 3, wallet: '0xab' });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(rowKey({ wallet: '0xab', txs: 4 })).not.toBe(rowKey({ wallet: '0xab', txs: 3 }));
    expect(canonicalJson({ b: [1, 2], a: null })).toBe('{"a":null,"b":[1,2]}');
  });
});
