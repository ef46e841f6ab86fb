import { csvLink, rows } from '../lib/api.js';
import { draw, grid, timeAxis, valueAxis } from '../lib/charts.js';
import { card, empty, fill, fmtNumber, h } from '../lib/dom.js';

const RANGES = { '7d': 7, '30d': 30, '90d': 90, '1y': 365, all: null };

/** Prices: daily candles or an hourly line per coin, a range picker, and coins compared by % change. */
export default {
  title: 'Prices',
  mount(root, ctx, refresh) {
    const state = { coin: undefined, compare: new Set(), interval: 'daily', range: '30d', from: '', to: '' };
    const coinSelect = h('select', {
      id: 'price-coin',
      onchange: () => {
        state.coin = coinSelect.value;
        refresh();
      },
    });
    const chips = h('span', { class: 'group chips', id: 'price-compare' });
    const intervalButtons = ['daily', 'hourly'].map((interval) =>
      h(
        'button',
        {
          type: 'button',
          'data-interval': interval,
          onclick: () => {
            state.interval = interval;
            refresh();
          },
        },
        interval,
      ),
    );
    const rangeButtons = Object.keys(RANGES).map((range) =>
      h(
        'button',
        {
          type: 'button',
          'data-range': range,
          onclick: () => {
            Object.assign(state, { range, from: '', to: '' });
            refresh();
          },
        },
        range.toUpperCase(),
      ),
    );
    const custom = (name) =>
      h('input', {
        type: 'date',
        id: `price-${name}`,
        onchange: (event) => {
          state[name] = event.target.value;
          state.range = 'custom';
          refresh();
        },
      });
    const fromInput = custom('from');
    const toInput = custom('to');
    const toolbar = h(
      'div',
      { class: 'card toolbar' },
      h('label', { class: 'group' }, 'Coin ', coinSelect),
      h('span', { class: 'group' }, ...intervalButtons),
      h('span', { class: 'group' }, ...rangeButtons),
      h('span', { class: 'group' }, 'from ', fromInput, ' to ', toInput),
      h('span', { class: 'group' }, 'Compare: ', chips),
    );
    const priceChart = h('div', { class: 'chart tall', id: 'chart-price' });
    const compareChart = h('div', { class: 'chart', id: 'chart-compare' });
    const note = h('p', { class: 'muted' });
    const charts = h(
      'div',
      { class: 'grid' },
      card('Price', priceChart, note),
      card('Compare: change over the range', compareChart),
    );
    const message = h('div');
    root.append(toolbar, message, charts);

    return async () => {
      const coins = ctx.status.coins;
      state.coin = coins.includes(state.coin) ? state.coin : coins[0];
      if (coinSelect.options.length !== coins.length) {
        fill(
          coinSelect,
          coins.map((c) => h('option', { value: c }, c)),
        );
      }
      coinSelect.value = state.coin;
      fill(
        chips,
        coins
          .filter((c) => c !== state.coin)
          .map((c) =>
            h(
              'label',
              {},
              h('input', {
                type: 'checkbox',
                value: c,
                checked: state.compare.has(c),
                onchange: (event) => {
                  if (event.target.checked) state.compare.add(c);
                  else state.compare.delete(c);
                  refresh();
                },
              }),
              ` ${c}`,
            ),
          ),
      );
      for (const b of intervalButtons) b.classList.toggle('on', b.dataset.interval === state.interval);
      for (const b of rangeButtons) b.classList.toggle('on', b.dataset.range === state.range);

      const params = { interval: state.interval, order: 'asc', ...window_(state) };
      fromInput.value = params.from?.slice(0, 10) ?? '';
      toInput.value = state.to;
      const selected = [state.coin, ...[...state.compare].filter((c) => c !== state.coin)];
      const series = await Promise.all(selected.map((coin) => rows('/api/prices', { ...params, coin })));
      const [main] = series;
      if (!main || main.length === 0) {
        charts.hidden = true;
        fill(message, empty(`No ${state.interval} prices for ${state.coin} in this range yet`, 'coingecko-prices'));
        return;
      }
      charts.hidden = false;
      fill(message);
      drawPrice(priceChart, state, main);
      drawCompare(compareChart, selected, series);
      const last = main[main.length - 1];
      fill(
        note,
        `${main.length} ${state.interval === 'daily' ? 'days' : 'hours'}; last close ${fmtNumber(last.close)} ${ctx.status.vsCurrency}. `,
        h('a', { href: csvLink('/api/prices', { ...params, coin: state.coin, limit: 10000 }) }, 'CSV'),
      );
    };
  },
};

/** `from` / `to` of the chosen range: a preset counted back from now, or the custom dates. */
function window_(state) {
  if (state.range === 'custom') return { from: state.from || undefined, to: state.to || undefined };
  const days = RANGES[state.range];
  if (days === null) return {};
  // Up to the next whole hour: rows sit on hours, so the answer is the same, and the URL stays the same for an hour,
  // which lets the API's answer cache and the browser reuse it.
  const from = Math.ceil((Date.now() - days * 86_400_000) / 3_600_000) * 3_600_000;
  return { from: new Date(from).toISOString() };
}

function drawPrice(el, state, points) {
  const daily = state.interval === 'daily';
  draw(el, {
    grid,
    tooltip: { trigger: 'axis' },
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8 }],
    xAxis: timeAxis,
    yAxis: valueAxis,
    series: [
      daily
        ? {
            type: 'candlestick',
            name: state.coin,
            // ECharts candles: [time, open, close, low, high].
            data: points.map((p) => [p.time, p.open, p.close, p.low, p.high]),
            itemStyle: { color: '#11875d', color0: '#c8303c', borderColor: '#11875d', borderColor0: '#c8303c' },
          }
        : { type: 'line', name: state.coin, showSymbol: false, data: points.map((p) => [p.time, p.close]) },
    ],
  });
}

function drawCompare(el, coins, series) {
  draw(el, {
    grid,
    legend: { top: 0 },
    tooltip: { trigger: 'axis', valueFormatter: (v) => `${v.toFixed(2)}%` },
    xAxis: timeAxis,
    yAxis: { ...valueAxis, axisLabel: { formatter: '{value}%' } },
    series: coins.map((coin, i) => {
      const points = series[i] ?? [];
      const base = points[0]?.close;
      return {
        type: 'line',
        name: coin,
        showSymbol: false,
        data: base ? points.map((p) => [p.time, ((p.close - base) / base) * 100]) : [],
      };
    }),
  });
}
