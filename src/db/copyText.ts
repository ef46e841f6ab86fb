const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeText(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] as string) : text;
}

/** Encodes one value in PostgreSQL's COPY text format. Hot path of every bulk load: cheapest checks first. */
export function copyValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value)
        ? String(value)
        : Number.isNaN(value)
          ? 'NaN'
          : value > 0
            ? 'Infinity'
            : '-Infinity';
    case 'string':
      return escapeText(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 't' : 'f';
    case 'undefined':
      return '\\N';
  }
  if (value === null) return '\\N';
  if (value instanceof Date) return value.toISOString();
  return escapeText(JSON.stringify(value));
}

/** Yields COPY text in chunks of about `chunkRows` rows, so a million-row batch never becomes one string. */
export function* copyChunks(rows: readonly (readonly unknown[])[], chunkRows = 5_000): Generator<string> {
  for (let start = 0; start < rows.length; start += chunkRows) {
    const end = Math.min(rows.length, start + chunkRows);
    const lines: string[] = new Array(end - start);
    for (let i = start; i < end; i++) {
      const row = rows[i] as readonly unknown[];
      let line = copyValue(row[0]);
      for (let c = 1; c < row.length; c++) line += `\t${copyValue(row[c])}`;
      lines[i - start] = line;
    }
    yield `${lines.join('\n')}\n`;
  }
}

/** A parameter value both pg and PGlite accept: bigints and objects become text. */
export function paramValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Uint8Array)) {
    return JSON.stringify(value);
  }
  return value;
}
