import { csvLink, get, rows } from '../lib/api.js';
import { draw, grid } from '../lib/charts.js';
import { card, empty, fill, fmtNumber, fmtPct, fmtTime, h, kpi, table } from '../lib/dom.js';

const TOP_DOMINANCE = 10;
const MOVERS = 5;

/** Overview: market table, top movers, market-cap dominance, from the latest market snapshot. */
export default {
  title: 'Overview',
  mount(root, ctx) {
    const kpis = h('div', { class: 'kpis', id: 'overview-kpis' });
    const dominance = h('div', { class: 'chart', id: 'chart-dominance' });
    const movers = h('div', { class: 'chart', id: 'chart-movers' });
    const market = h('div', { id: 'market-table' });
    const charts = h(
      'div',
      { class: 'grid' },
      card('Market-cap dominance', dominance),
      card('Top movers (24 h)', movers),
    );
    root.append(kpis, charts, card('Market', market));

    return async () => {
      const vs = ctx.status.vsCurrency;
      const [all, gainers, losers] = await Promise.all([
        rows('/api/market', { sort: 'rank' }),
        get('/api/market', { sort: 'gainers', limit: MOVERS }),
        get('/api/market', { sort: 'losers', limit: MOVERS }),
      ]);
      if (all.length === 0) {
        fill(kpis);
        charts.hidden = true;
        fill(market, empty('No market data yet', 'coingecko-markets'));
        return;
      }
      charts.hidden = false;
      const total = all.reduce((sum, r) => sum + (r.market_cap ?? 0), 0);
      const volume = all.reduce((sum, r) => sum + (r.total_volume ?? 0), 0);
      const latest = all
        .map((r) => r.snapshot_at)
        .sort()
        .at(-1);
      fill(
        kpis,
        kpi('Coins', fmtNumber(all.length)),
        kpi(`Total market cap (${vs})`, fmtNumber(total)),
        kpi(`24 h volume (${vs})`, fmtNumber(volume)),
        kpi('Snapshot', fmtTime(latest)),
      );
      drawDominance(dominance, all);
      drawMovers(movers, gainers.items, losers.items);
      fill(
        market,
        table(
          [
            { key: 'rank', label: '#', num: true },
            { key: 'name', label: 'Coin', format: (v, r) => `${v} (${r.symbol.toUpperCase()})` },
            { key: 'current_price', label: `Price (${vs})`, num: true, format: (v) => fmtNumber(v) },
            { key: 'price_change_percentage_24h', label: '24 h', num: true, format: fmtPct },
            { key: 'market_cap', label: 'Market cap', num: true, format: (v) => fmtNumber(v) },
            { key: 'total_volume', label: 'Volume 24 h', num: true, format: (v) => fmtNumber(v) },
            {
              key: 'dominance_pct',
              label: 'Dominance',
              num: true,
              format: (v) => (v === null ? '—' : `${v.toFixed(2)}%`),
            },
          ],
          all.slice(0, 50),
        ),
        h(
          'p',
          { class: 'muted' },
          `Top 50 of ${all.length}. `,
          h('a', { href: csvLink('/api/market', { limit: 10000 }) }, 'Download all as CSV'),
        ),
      );
    };
  },
};

function drawDominance(el, all) {
  const top = all.slice(0, TOP_DOMINANCE).map((r) => ({ name: r.name, value: r.dominance_pct ?? 0 }));
  const rest = all.slice(TOP_DOMINANCE).reduce((sum, r) => sum + (r.dominance_pct ?? 0), 0);
  draw(el, {
    tooltip: { trigger: 'item', valueFormatter: (v) => `${v.toFixed(2)}%` },
    series: [
      {
        type: 'pie',
        radius: ['40%', '70%'],
        data: rest > 0 ? [...top, { name: 'Others', value: Number(rest.toFixed(4)) }] : top,
        // Slices thinner than 6° would stack their labels on each other; the tooltip still names them.
        minShowLabelAngle: 6,
        label: { formatter: '{b}: {d}%' },
      },
    ],
  });
}

function drawMovers(el, gainers, losers) {
  const movers = [...gainers, ...losers.filter((l) => !gainers.some((g) => g.coin_id === l.coin_id))].sort(
    (a, b) => (a.price_change_percentage_24h ?? 0) - (b.price_change_percentage_24h ?? 0),
  );
  draw(el, {
    grid: { ...grid, left: 90 },
    tooltip: { trigger: 'axis', valueFormatter: (v) => `${v.toFixed(2)}%` },
    xAxis: { type: 'value', axisLabel: { formatter: '{value}%' } },
    yAxis: { type: 'category', data: movers.map((r) => r.symbol.toUpperCase()) },
    series: [
      {
        type: 'bar',
        name: '24 h change',
        data: movers.map((r) => ({
          value: r.price_change_percentage_24h,
          itemStyle: { color: (r.price_change_percentage_24h ?? 0) >= 0 ? '#11875d' : '#c8303c' },
        })),
      },
    ],
  });
}
