/** 32-bit FNV-1a hash of a string. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A number in [0, 1) that depends only on `parts`: the root of every "random" choice in the emulator, so the
 * same coin, seed and purpose always give the same value.
 */
export function unit(...parts: Array<string | number>): number {
  // NOTE: FNV alone maps neighbouring strings ('coin-1', 'coin-2') to neighbouring numbers; the murmur3
  // finaliser spreads them over the whole range.
  let h = hash32(parts.join('|'));
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}
