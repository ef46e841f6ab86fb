import { csvLink, jobsLike, rows } from '../lib/api.js';
import { draw, grid, timeAxis } from '../lib/charts.js';
import { card, empty, fill, fmtNumber, fmtTime, h, table } from '../lib/dom.js';

/** Columns of chain_daily that are not measures (the block range of a day is bookkeeping, not a trend). */
const KEYS = new Set(['day', 'date', 'block_date', 'chain_id', 'first_block', 'last_block']);
/** Measures shown first, in this order, when the model has them; any other numeric column follows. */
const PREFERRED = ['blocks', 'transactions', 'gas_used', 'avg_gas_used', 'avg_base_fee_gwei', 'avg_base_fee_per_gas'];

/** Chain: one chart per daily measure of warehouse.chain_daily (blocks, transactions, gas, base fee), per chain. */
export default {
  title: 'Chain',
  mount(root) {
    const charts = h('div', { class: 'grid', id: 'chain-charts' });
    const transfers = h('div', { id: 'transfers-table' });
    const message = h('div');
    root.append(message, charts, card('Latest ERC-20 transfers', transfers));

    return async () => {
      const [days, latest] = await Promise.all([
        rows('/api/chain/daily', { order: 'asc' }),
        rows('/api/chain/transfers', { order: 'desc' }, 20),
      ]);
      const jobs = days.length === 0 || latest.length === 0 ? await jobsLike('evm', 'chain') : [];
      if (days.length === 0) {
        fill(charts);
        fill(message, empty('No chain data yet', jobs));
      } else {
        fill(message);
        drawMeasures(charts, days);
      }
      fill(
        transfers,
        latest.length === 0
          ? empty('No ERC-20 transfers yet', jobs)
          : [
              table(
                [
                  { key: 'block_time', label: 'Time', format: fmtTime },
                  { key: 'block_number', label: 'Block', num: true },
                  { key: 'token_symbol', label: 'Token', format: (v, r) => v ?? address(r.token_address) },
                  { key: 'from_address', label: 'From', format: address },
                  { key: 'to_address', label: 'To', format: address },
                  {
                    key: 'amount_units',
                    label: 'Amount',
                    num: true,
                    format: (v, r) => (v === null ? r.amount : fmtNumber(v)),
                  },
                  { key: 'transaction_hash', label: 'Tx', format: address },
                ],
                latest,
              ),
              h(
                'p',
                { class: 'muted' },
                h('a', { href: csvLink('/api/chain/transfers', { limit: 10000 }) }, 'Transfers as CSV'),
              ),
            ],
      );
    };
  },
};

/** `0x1234…abcd`, the whole value on hover. */
function address(value) {
  const s = String(value ?? '');
  return h('code', { title: s }, s.length > 14 ? `${s.slice(0, 6)}…${s.slice(-4)}` : s);
}

function drawMeasures(el, days) {
  const dayKey = ['day', 'date', 'block_date'].find((k) => k in days[0]);
  const numeric = Object.keys(days[0]).filter(
    (k) => !KEYS.has(k) && days.some((d) => d[k] !== null && d[k] !== '' && Number.isFinite(Number(d[k]))),
  );
  const measures = [...PREFERRED.filter((k) => numeric.includes(k)), ...numeric.filter((k) => !PREFERRED.includes(k))];
  const chains = [...new Set(days.map((d) => d.chain_id ?? ''))];
  // Charts are rebuilt only when the set of measures changes, so zoom survives a refresh.
  const ids = measures.map((m) => `chart-chain-${m}`);
  if ([...el.children].map((c) => c.dataset.chart).join() !== ids.join()) {
    fill(
      el,
      measures.map((m, i) => card(m.replaceAll('_', ' '), h('div', { class: 'chart', id: ids[i] }))),
    );
    [...el.children].forEach((c, i) => {
      c.dataset.chart = ids[i];
    });
  }
  measures.forEach((measure, i) => {
    draw(document.getElementById(ids[i]), {
      grid,
      legend: chains.length > 1 ? { top: 0 } : undefined,
      tooltip: { trigger: 'axis', valueFormatter: (v) => fmtNumber(v) },
      // One tick a day at most: the points are days, and finer ticks would repeat each date.
      xAxis: { ...timeAxis, minInterval: 86_400_000 },
      yAxis: { type: 'value', scale: true, axisLabel: { formatter: (v) => fmtNumber(v, { compactAbove: 1e4 }) } },
      series: chains.map((chain) => ({
        type: measure === 'blocks' || measure === 'transactions' ? 'bar' : 'line',
        name: chain === '' ? measure : `chain ${chain}`,
        showSymbol: false,
        data: days.filter((d) => (d.chain_id ?? '') === chain).map((d) => [d[dayKey], Number(d[measure])]),
      })),
    });
  });
}
