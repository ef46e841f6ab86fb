/**
 * Counts values into fixed-width bins; values beyond ±`edge` land in the two end bins, so one outlier
 * does not squash the chart. Returns `[{ from, count }]` in order, `from` being the bin's lower bound.
 */
export function histogram(values, { width = 5, edge = 100 } = {}) {
  const bins = new Map();
  for (let from = -edge; from <= edge; from += width) bins.set(from, 0);
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    const clamped = Math.min(edge, Math.max(-edge, value));
    const from = Math.floor(clamped / width) * width;
    bins.set(from, (bins.get(from) ?? 0) + 1);
  }
  return [...bins].map(([from, count]) => ({ from, count }));
}
