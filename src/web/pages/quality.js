import { csvLink, jobsLike, rows } from '../lib/api.js';
import { draw, grid } from '../lib/charts.js';
import { card, empty, fill, fmtNumber, fmtStatus, fmtTime, h, table } from '../lib/dom.js';

const STATUSES = ['passed', 'failed', 'skipped'];
const COLORS = { passed: '#11875d', failed: '#c8303c', skipped: '#adb5bd' };

/**
 * Data quality: the latest result of every check (freshness, gaps, duplicates, price jumps) and its history, and
 * the drift the streams saw upstream (etl.schema_changes).
 */
export default {
  title: 'Data quality',
  mount(root) {
    const summary = h('div', { class: 'chart', id: 'chart-quality' });
    const latest = h('div', { id: 'quality-table' });
    const failures = h('div', { id: 'quality-failures' });
    const content = h(
      'div',
      { class: 'page-content' },
      h(
        'div',
        { class: 'grid' },
        card('Latest run: results by check', summary),
        card('Failed checks (latest run)', failures),
      ),
      card('Latest results', latest),
    );
    const message = h('div');
    const drift = h('div', { id: 'schema-changes' });
    root.append(message, content, card('Upstream schema changes', drift));

    return async () => {
      const [results, changes] = await Promise.all([
        rows('/api/quality', { order: 'desc' }, 5000),
        rows('/api/schema-changes', { order: 'desc' }, 1000),
      ]);
      fill(
        drift,
        changes.length > 0
          ? table(
              [
                { key: 'stream', label: 'Stream' },
                { key: 'field', label: 'Field', format: (v) => h('code', {}, v) },
                { key: 'kind', label: 'Change', format: (v) => h('span', { class: 'status-warn' }, v) },
                { key: 'first_seen', label: 'First seen', format: fmtTime },
                { key: 'last_seen', label: 'Last seen', format: fmtTime },
                {
                  key: 'sample',
                  label: 'Sample',
                  wrap: true,
                  format: (v) => (v ? JSON.stringify(v).slice(0, 300) : ''),
                },
              ],
              changes,
            )
          : h('p', { class: 'up' }, 'Every stream received the fields it declares, and no others.'),
      );
      if (results.length === 0) {
        content.hidden = true;
        fill(message, empty('No quality results yet', await jobsLike('quality')));
        return;
      }
      content.hidden = false;
      fill(message);
      const last = results[0].checked_at;
      const run = results.filter((r) => r.checked_at === last);
      const checks = [...new Set(run.map((r) => r.check_name))].sort();
      draw(summary, {
        grid: { ...grid, left: 120 },
        legend: { top: 0 },
        tooltip: { trigger: 'axis' },
        xAxis: { type: 'value', minInterval: 1 },
        yAxis: { type: 'category', data: checks },
        series: STATUSES.map((status) => ({
          type: 'bar',
          stack: 'results',
          name: status,
          itemStyle: { color: COLORS[status] },
          data: checks.map((check) => run.filter((r) => r.check_name === check && r.status === status).length),
        })),
      });
      const columns = [
        { key: 'checked_at', label: 'Checked', format: fmtTime },
        { key: 'check_name', label: 'Check' },
        { key: 'subject', label: 'Subject' },
        { key: 'status', label: 'Status', format: fmtStatus },
        { key: 'value', label: 'Value', num: true, format: (v) => fmtNumber(v) },
        { key: 'threshold', label: 'Limit', num: true, format: (v) => fmtNumber(v) },
        { key: 'details', label: 'Details', wrap: true, format: (v) => (v ? JSON.stringify(v) : '') },
      ];
      const failed = run.filter((r) => r.status === 'failed');
      fill(failures, failed.length > 0 ? table(columns, failed) : h('p', { class: 'up' }, 'Every check passed.'));
      fill(
        latest,
        table(columns, run),
        h(
          'p',
          { class: 'muted' },
          `Run of ${fmtTime(last)}. `,
          h('a', { href: csvLink('/api/quality', { limit: 10000 }) }, 'History as CSV'),
        ),
      );
    };
  },
};
