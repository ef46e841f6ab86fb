import { csvLink, jobsLike, rows } from '../lib/api.js';
import { draw, grid, timeAxis, valueAxis } from '../lib/charts.js';
import { card, empty, fill, fmtNumber, fmtTime, h, kpi, table } from '../lib/dom.js';
import { histogram } from '../lib/histogram.js';

/** How many of the latest trades the page plots. */
const MAX_TRADES = 5000;
const BIN_BPS = 5;
/** Bins stop at the largest |improvement| rounded up to a bin, at most this far out. */
const MAX_EDGE_BPS = 100;

/** CoW trades: execution vs market price, daily volume, and the distribution of price improvement. */
export default {
  title: 'CoW trades',
  mount(root) {
    const kpis = h('div', { class: 'kpis', id: 'cow-kpis' });
    const prices = h('div', { class: 'chart tall', id: 'chart-cow-prices' });
    const volume = h('div', { class: 'chart', id: 'chart-cow-volume' });
    const improvement = h('div', { class: 'chart', id: 'chart-cow-improvement' });
    const latest = h('div', { id: 'cow-table' });
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
    );
    const message = h('div');
    root.append(message, content);

    return async () => {
      const [trades, days] = await Promise.all([
        rows('/api/cow/trades', { order: 'desc' }, MAX_TRADES),
        rows('/api/cow/daily', { order: 'asc' }),
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
    };
  },
};
