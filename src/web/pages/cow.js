import { csvLink, jobsLike, rows } from '../lib/api.js';
import { draw, grid, timeAxis, valueAxis } from '../lib/charts.js';
import { card, empty, fill, fmtNumber, fmtTime, h, kpi, table } from '../lib/dom.js';
import { histogram } from '../lib/histogram.js';

/** How many of the latest trades the page plots. */
const MAX_TRADES = 5000;
const BIN_BPS = 5;
/** Bins stop at the largest |improvement| rounded up to a bin, at most this far out. */
const MAX_EDGE_BPS = 100;
/** Trades found in one source only listed, at most. */
const MAX_UNMATCHED = 200;

/** CoW trades: execution vs market price, daily volume, and the distribution of price improvement. */
export default {
  title: 'CoW trades',
  mount(root) {
    const kpis = h('div', { class: 'kpis', id: 'cow-kpis' });
    const prices = h('div', { class: 'chart tall', id: 'chart-cow-prices' });
    const volume = h('div', { class: 'chart', id: 'chart-cow-volume' });
    const improvement = h('div', { class: 'chart', id: 'chart-cow-improvement' });
    const latest = h('div', { id: 'cow-table' });
    const reconciliation = h('div', { id: 'cow-reconciliation' });
    const content = h(
      'div',
      { class: 'page-content' },
      kpis,
      card('Execution price vs market price (USDC per WETH)', prices),
      h(
        'div',
        { class: 'grid' },
        card('Daily volume (USD)', volume),
        card(`Price improvement vs market (bps, ${BIN_BPS} bps bins)`, improvement),
      ),
      card('Latest trades', latest),
      card('Dune vs the chain, per day (trades matched by tx hash and order uid)', reconciliation),
    );
    const message = h('div');
    root.append(message, content);

    return async () => {
      const [trades, days, compared, unmatched] = await Promise.all([
        rows('/api/cow/trades', { order: 'desc' }, MAX_TRADES),
        rows('/api/cow/daily', { order: 'asc' }),
        rows('/api/cow/reconciliation', { order: 'desc' }),
        rows('/api/cow/unmatched', { order: 'desc' }, MAX_UNMATCHED),
      ]);
      if (trades.length === 0) {
        content.hidden = true;
        fill(message, empty('No CoW trades yet', await jobsLike('cow', 'dune')));
        return;
      }
      content.hidden = false;
      fill(message);
      const series = [...trades].reverse();
      const improvements = series.map((t) => Number(t.improvement_bps)).filter(Number.isFinite);
      const median = [...improvements].sort((a, b) => a - b)[Math.floor(improvements.length / 2)];
      const usd = days.reduce((sum, d) => sum + Number(d.usd_volume ?? 0), 0);
      fill(
        kpis,
        kpi('Trades shown', fmtNumber(trades.length)),
        kpi('Days', fmtNumber(days.length)),
        kpi('Volume (USD)', fmtNumber(usd)),
        kpi('Median improvement', median === undefined ? '—' : `${median.toFixed(1)} bps`),
      );
      draw(prices, {
        grid,
        legend: { top: 0 },
        tooltip: { trigger: 'axis' },
        dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8 }],
        xAxis: timeAxis,
        yAxis: valueAxis,
        series: [
          {
            type: 'scatter',
            name: 'execution',
            symbolSize: 5,
            data: series.map((t) => [t.block_time, Number(t.execution_price)]),
          },
          {
            type: 'line',
            name: 'market (CoinGecko)',
            showSymbol: false,
            data: series.filter((t) => t.market_price !== null).map((t) => [t.block_time, Number(t.market_price)]),
          },
        ],
      });
      draw(volume, {
        grid,
        tooltip: { trigger: 'axis' },
        xAxis: timeAxis,
        yAxis: { type: 'value' },
        series: [{ type: 'bar', name: 'USD volume', data: days.map((d) => [d.day, Number(d.usd_volume ?? 0)]) }],
      });
      const widest = Math.max(BIN_BPS, ...improvements.map(Math.abs));
      const edge = Math.min(MAX_EDGE_BPS, Math.ceil(widest / BIN_BPS) * BIN_BPS);
      const bins = histogram(improvements, { width: BIN_BPS, edge });
      draw(improvement, {
        grid,
        tooltip: { trigger: 'axis' },
        xAxis: { type: 'category', name: 'bps', data: bins.map((b) => String(b.from)) },
        yAxis: { type: 'value', name: 'trades' },
        series: [{ type: 'bar', name: 'trades', barCategoryGap: '5%', data: bins.map((b) => b.count) }],
      });
      fill(
        latest,
        table(
          [
            { key: 'block_time', label: 'Time', format: fmtTime },
            { key: 'side', label: 'Side' },
            { key: 'weth_amount', label: 'WETH', num: true, format: (v) => fmtNumber(v) },
            { key: 'execution_price', label: 'Execution', num: true, format: (v) => fmtNumber(v) },
            { key: 'market_price', label: 'Market', num: true, format: (v) => fmtNumber(v) },
            { key: 'improvement_bps', label: 'Improvement (bps)', num: true, format: (v) => Number(v).toFixed(1) },
            { key: 'tx_hash', label: 'Tx', format: (v) => h('code', {}, `${String(v).slice(0, 10)}…`) },
          ],
          trades.slice(0, 20),
        ),
        h(
          'p',
          { class: 'muted' },
          h('a', { href: csvLink('/api/cow/trades', { limit: 10000 }) }, 'Trades as CSV'),
          ' · ',
          h('a', { href: csvLink('/api/cow/daily', { limit: 10000 }) }, 'Daily stats as CSV'),
        ),
      );
      fill(reconciliation, ...reconciled(compared, unmatched));
    };
  },
};

/** The per-day comparison and every trade found in one source only, or why there is nothing to compare. */
function reconciled(days, unmatched) {
  if (days.length === 0) {
    return [
      h(
        'p',
        { class: 'muted' },
        'Nothing to compare yet: load the cow set with evm-events (crypto-etl run evm-events).',
      ),
    ];
  }
  const token = days[0].volume_token ?? '';
  const units = (v) => fmtNumber(v);
  return [
    table(
      [
        { key: 'day', label: 'Day', format: (v) => String(v).slice(0, 10) },
        { key: 'dune_trades', label: 'Trades (Dune)', num: true, format: units },
        { key: 'chain_trades', label: 'Trades (chain)', num: true, format: units },
        { key: 'dune_volume', label: `Volume ${token} (Dune)`, num: true, format: units },
        { key: 'chain_volume', label: `Volume ${token} (chain)`, num: true, format: units },
        { key: 'agrees', label: 'Agrees', format: (v) => (v === true || v === 'true' ? 'yes' : 'NO') },
      ],
      days,
    ),
    unmatched.length === 0
      ? h('p', { class: 'muted', id: 'cow-unmatched' }, 'Every trade is in both Dune and the chain.')
      : h(
          'div',
          { id: 'cow-unmatched' },
          h('p', {}, `${unmatched.length} trade(s) in one source only:`),
          table(
            [
              { key: 'block_time', label: 'Time', format: fmtTime },
              { key: 'missing_from', label: 'Missing from' },
              { key: 'tx_hash', label: 'Tx', format: (v) => h('code', { title: v }, short(v)) },
              { key: 'order_uid', label: 'Order uid', format: (v) => h('code', { title: v }, short(v)) },
              { key: 'volume', label: token, num: true, format: units },
            ],
            unmatched,
          ),
        ),
  ];
}

function short(hex) {
  const s = String(hex);
  return s.length > 14 ? `${s.slice(0, 8)}…${s.slice(-4)}` : s;
}
