/** ECharts (served by the server from node_modules, global `echarts`), one instance per chart element. */

const instances = new Set();
const PALETTE = ['#2f6fed', '#f08c00', '#11875d', '#c8303c', '#7048e8', '#0ca5b0', '#e64980', '#5c940d', '#868e96'];

/** Draws `option` into `el`, reusing its chart on refresh so zoom and legend choices survive. */
export function draw(el, option) {
  const chart = echarts.getInstanceByDom(el) ?? echarts.init(el);
  instances.add(chart);
  chart.setOption({ color: PALETTE, animation: false, ...option }, { notMerge: true });
  return chart;
}

/** Frees the charts of a page being left. */
export function disposeAll() {
  for (const chart of instances) chart.dispose();
  instances.clear();
}

window.addEventListener('resize', () => {
  for (const chart of instances) chart.resize();
});

/** A time axis with UTC labels. */
export const timeAxis = {
  type: 'time',
  axisLabel: { formatter: (v) => new Date(v).toISOString().slice(5, 10).replace('-', '/') },
};

/** A value axis that does not force zero (prices). */
export const valueAxis = { type: 'value', scale: true, splitLine: { lineStyle: { color: '#eef0f3' } } };

export const grid = { left: 64, right: 24, top: 36, bottom: 40 };
