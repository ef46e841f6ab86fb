/** A plain decimal number: a spreadsheet reads it as a number, never as a formula, so it keeps its sign. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * OWASP's rule against CSV injection: a cell starting with `=`, `+`, `-`, `@`, tab or carriage return is a
 * formula to Excel, LibreOffice and Sheets (`=HYPERLINK(…)` in a coin name, a Dune trader label). A leading `'`
 * makes it text; the cell is then quoted like any other.
 */
function neutralise(text: string): string {
  return /^[=+\-@\t\r]/.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** One CSV field (RFC 4180): dates as ISO 8601, objects as JSON, null as empty, quoted when needed. */
function field(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    value instanceof Date
      ? value.toISOString()
      : typeof value === 'object'
        ? JSON.stringify(value)
        : typeof value === 'number' || typeof value === 'bigint'
          ? String(value)
          : neutralise(String(value));
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A CSV document: a header row of `columns`, then one line per row, CRLF-separated as RFC 4180 says. */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.map(field).join(',')];
  for (const row of rows) lines.push(columns.map((c) => field(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
