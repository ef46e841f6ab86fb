/** Small DOM helpers: the dashboard is plain ES modules, no framework and no build step. */

/**
 * Creates an element: `h('td', { class: 'num' }, '42')`. Attributes starting with `on` become listeners;
 * children are nodes or text (null and false are skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A card with a title, for one chart or table. */
export function card(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

/** A headline figure: a small label over a big value. */
export function kpi(label, value) {
  return h('div', { class: 'card kpi' }, h('div', { class: 'muted' }, label), h('div', { class: 'value' }, value));
}

/**
 * The empty state of a panel: what is missing and the command that fills it, e.g.
 * `empty('No market data yet', 'coingecko-markets')`.
 */
export function empty(what, jobs = []) {
  const names = Array.isArray(jobs) ? jobs : [jobs];
  const runs = names.map((job, i) => [i > 0 ? ' then ' : '', h('code', {}, `crypto-etl run ${job}`)]);
  return h(
    'div',
    { class: 'empty', 'data-empty': '' },
    `${what}: `,
    names.length > 0 ? ['run ', runs, ' (or start it from the Jobs page).'] : 'no job in this build loads it yet.',
  );
}

/** Replaces the content of an element. */
export function fill(el, ...children) {
  el.replaceChildren(
    ...children.flat(Number.POSITIVE_INFINITY).filter((c) => c !== null && c !== undefined && c !== false),
  );
}

/**
 * A table from rows: `columns` are `{ key, label, num?, format?(value, row) }`; `format` may return a node.
 */
export function table(columns, rows, attrs = {}) {
  const head = h(
    'tr',
    {},
    columns.map((c) => h('th', { class: c.num ? 'num' : undefined }, c.label)),
  );
  const body = rows.map((row) =>
    h(
      'tr',
      {},
      columns.map((c) => {
        const value = c.format ? c.format(row[c.key], row) : row[c.key];
        return h('td', { class: c.num ? 'num' : c.wrap ? 'wrap' : undefined, 'data-key': c.key }, value ?? '—');
      }),
    ),
  );
  return h('div', { class: 'scroll' }, h('table', attrs, h('thead', {}, head), h('tbody', {}, body)));
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
const plain = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** Formats a number for people: compact for big ones (1.2B), more digits for small prices. */
export function fmtNumber(value, { compactAbove = 1e6 } = {}) {
  if (value === null || value === undefined || value === '') return '—';
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  if (Math.abs(n) >= compactAbove) return compact.format(n);
  if (Math.abs(n) > 0 && Math.abs(n) < 1) return n.toPrecision(4);
  return plain.format(n);
}

/** A signed percentage, coloured up or down. */
export function fmtPct(value) {
  if (value === null || value === undefined) return '—';
  const n = Number(value);
  return h('span', { class: n >= 0 ? 'up' : 'down' }, `${n >= 0 ? '+' : ''}${n.toFixed(2)}%`);
}

/** An instant as `2026-01-31 09:00 UTC`. */
export function fmtTime(value) {
  if (!value) return '—';
  return `${new Date(value).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A run or check status, coloured. */
const STATUS_LABEL = { succeeded_with_rejects: 'succeeded, with rejects' };

/** A run or check status, coloured; a success that left rejects shows amber. */
export function fmtStatus(value) {
  return value ? h('span', { class: `status-${value}` }, STATUS_LABEL[value] ?? value) : 'never';
}
