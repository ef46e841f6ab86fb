/** Encodes one value in PostgreSQL's COPY text format. */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** Yields COPY text in chunks of about `chunkRows` rows, so a million-row batch never becomes one string. */
export function* copyChunks(rows: readonly (readonly unknown[])[], chunkRows = 5_000): Generator<string> {
  for (let start = 0; start < rows.length; start += chunkRows) {
    let chunk = '';
    const end = Math.min(rows.length, start + chunkRows);
    for (let i = start; i < end; i++) chunk += `${(rows[i] as readonly unknown[]).map(copyValue).join('\t')}\n`;
    yield chunk;
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
