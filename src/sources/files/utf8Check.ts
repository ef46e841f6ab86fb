import { isUtf8 } from 'node:buffer';

/** A byte that does not belong to valid UTF-8, and its offset in the stream. */
export interface BadByte {
  at: number;
  byte: number;
}

export interface Utf8Check {
  /** The bad bytes of the next chunk (usually none). A character split with the next chunk waits for it. */
  scan(chunk: Buffer): BadByte[];
  /** At the end of the stream: a character left incomplete. */
  end(): BadByte[];
}

const NONE: BadByte[] = [];

/**
 * Finds the bytes of a stream that are not UTF-8, chunk by chunk, without decoding it: one native pass per chunk
 * (`isUtf8`); only a chunk that fails it is walked character by character to name its bad bytes.
 */
export function createUtf8Check(): Utf8Check {
  let carry = Buffer.alloc(0);
  let offset = 0;
  return {
    scan(chunk) {
      const data = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
      const base = offset - carry.length;
      offset += chunk.length;
      const cut = wholeCharacters(data);
      carry = Buffer.from(data.subarray(cut));
      return isUtf8(data.subarray(0, cut)) ? NONE : badBytes(data, cut, base);
    },
    end() {
      const bad = carry.length === 0 ? NONE : badBytes(carry, carry.length, offset - carry.length);
      carry = Buffer.alloc(0);
      return bad;
    },
  };
}

/** The bytes a character starting with `lead` takes (1 for a stray byte: it is bad on its own). */
function charSize(lead: number): number {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  return lead >= 0xc0 ? 2 : 1;
}

/** How many bytes of `data` are whole characters: a character cut by its end (up to 3 bytes) is left out. */
function wholeCharacters(data: Buffer): number {
  for (let k = 1; k <= Math.min(3, data.length); k++) {
    const b = data[data.length - k] as number;
    if ((b & 0xc0) === 0x80) continue;
    return charSize(b) > k ? data.length - k : data.length;
  }
  return data.length;
}

function badBytes(data: Buffer, cut: number, base: number): BadByte[] {
  const bad: BadByte[] = [];
  for (let i = 0; i < cut; ) {
    const b = data[i] as number;
    const size = b < 0x80 ? 1 : charSize(b);
    if (b < 0x80 || (size > 1 && i + size <= cut && isUtf8(data.subarray(i, i + size)))) {
      i += size;
    } else {
      bad.push({ at: base + i, byte: b });
      i++;
    }
  }
  return bad;
}
