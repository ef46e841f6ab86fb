/**
 * Per-column parsers for CSV text: each returns the value to load, or a `Problem` saying why the field cannot
 * be. Checking here, in the stream, is what lets a bad row go to `etl.rejects` while its neighbours load; a
 * value the database would refuse inside COPY would fail the whole file instead.
 */

/** Why a field was refused, e.g. `expected a number`. */
export class Problem {
  constructor(readonly message: string) {}
}

export type FieldParser = (text: string) => unknown;

/** What a column accepts, from the catalogue (PostgreSQL and MySQL type names). */
export interface ColumnType {
  dataType: string;
  maxLength: number | null;
  precision: number | null;
  scale: number | null;
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const INTEGER = /^[-+]?\d+$/;
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const BOOLEANS: Record<string, boolean> = {
  true: true,
  t: true,
  yes: true,
  '1': true,
  false: false,
  f: false,
  no: false,
  '0': false,
};
const INT_RANGE: Record<string, number> = {
  smallint: 32_767,
  integer: 2_147_483_647,
  int: 2_147_483_647,
  mediumint: 8_388_607,
  tinyint: 127,
};
const INT8_MAX = 9_223_372_036_854_775_807n;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (DAYS[month - 1] ?? 0);
}

/** ISO 8601 (zone optional: UTC when absent; `UTC` as Dune writes it too) or UNIX time (up to 10 digits: seconds; more: milliseconds). */
export function parseTimestamp(text: string): Date | Problem {
  if (INTEGER.test(text)) {
    const n = Number(text);
    return new Date(text.replace(/^[-+]/, '').length <= 10 ? n * 1000 : n);
  }
  const m = TIMESTAMP.exec(text);
  if (!m) return new Problem('expected a timestamp such as 2026-01-31T12:00:00Z or UNIX milliseconds');
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return new Problem('expected a timestamp: a field is out of range');
  }
  const fraction = m[7] ? Number(m[7]) * 1000 : 0;
  let offsetMin = 0;
  const zone = m[8];
  if (zone && !['Z', 'UTC'].includes(zone.toUpperCase())) {
    const digits = zone.replace(':', '');
    offsetMin = (digits[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || 0));
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second) + fraction - offsetMin * 60_000);
}

function timestampParser(): FieldParser {
  // Exports are sorted by time more often than not: consecutive rows repeat the same instant.
  let lastText = '';
  let lastValue: Date | Problem = new Problem('');
  return (text) => {
    if (text !== lastText) {
      lastValue = parseTimestamp(text);
      lastText = text;
    }
    return lastValue;
  };
}

function parseDate(text: string): string | Problem {
  const m = DATE.exec(text);
  const [year, month, day] = (m?.slice(1) ?? []).map(Number) as [number, number, number];
  if (!m || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return new Problem('expected a date such as 2026-01-31');
  }
  return text;
}

function integerParser(dataType: string): FieldParser {
  const max = INT_RANGE[dataType];
  return (text) => {
    if (!INTEGER.test(text)) return new Problem('expected an integer');
    if (max !== undefined) {
      const n = Number(text);
      return n > max || n < -max - 1 ? new Problem(`expected an integer within ±${max}`) : n;
    }
    const big = BigInt(text);
    return big > INT8_MAX || big < -INT8_MAX - 1n ? new Problem('expected an integer within 64 bits') : text;
  };
}

function numericParser(precision: number | null, scale: number | null): FieldParser {
  const maxWhole = precision !== null && scale !== null ? precision - scale : null;
  return (text) => {
    if (!NUMBER.test(text)) return new Problem('expected a number');
    if (maxWhole !== null && !/[eE]/.test(text)) {
      const whole = text.replace(/^[-+]/, '').split('.')[0]?.replace(/^0+/, '') ?? '';
      if (whole.length > maxWhole) return new Problem(`expected at most ${maxWhole} digits before the decimal point`);
    }
    return text;
  };
}

function textParser(maxLength: number | null): FieldParser {
  return (text) => {
    if (text.includes('\u0000')) return new Problem('contains a NUL character');
    if (maxLength !== null && text.length > maxLength) return new Problem(`longer than ${maxLength} characters`);
    return text;
  };
}

/** The parser for a column type; types it does not know pass through as text for the database to judge. */
export function parserFor(type: ColumnType): FieldParser {
  const t = type.dataType.toLowerCase();
  if (t === 'bigint' || t in INT_RANGE) return integerParser(t);
  if (t === 'numeric' || t === 'decimal') return numericParser(type.precision, type.scale);
  if (t === 'real' || t === 'double precision' || t === 'double' || t === 'float') {
    return (text) => (NUMBER.test(text) && Number.isFinite(Number(text)) ? text : new Problem('expected a number'));
  }
  if (t === 'boolean') {
    return (text) => BOOLEANS[text.toLowerCase()] ?? new Problem('expected true or false');
  }
  if (t.startsWith('timestamp') || t === 'datetime') return timestampParser();
  if (t === 'date') return parseDate;
  if (t === 'json' || t === 'jsonb') {
    return (text) => {
      try {
        // NOTE: jsonb, like text, cannot hold a NUL: an escaped one (`\u0000`) would fail the whole COPY.
        if (t === 'jsonb' && text.includes('\\u0000') && holdsNul(JSON.parse(text))) {
          return new Problem('contains \\u0000, which jsonb cannot store');
        }
        JSON.parse(text);
        return text;
      } catch {
        return new Problem('expected JSON');
      }
    };
  }
  return textParser(type.maxLength);
}

/** Whether a parsed JSON value has a NUL character in a string or a key. */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, v]) => key.includes('\u0000') || holdsNul(v));
}
