import { csvLink, get, post } from '../lib/api.js';
import { card, empty, fill, fmtNumber, fmtStatus, fmtTime, h, table } from '../lib/dom.js';

const TOKEN_KEY = 'apiToken';

/** Jobs: the catalogue with next runs and a trigger button, the run history and the recent failures. */
export default {
  title: 'Jobs',
  mount(root, ctx, refresh) {
    const token = h('input', {
      type: 'password',
      id: 'api-token',
      placeholder: 'API_TOKEN',
      autocomplete: 'off',
      value: localStorage.getItem(TOKEN_KEY) ?? '',
      onchange: () => localStorage.setItem(TOKEN_KEY, token.value),
    });
    const feedback = h('span', { id: 'trigger-feedback', class: 'note', role: 'status' });
    const triggersOff = h(
      'p',
      { class: 'muted', hidden: true },
      'Triggers are off: start the server with API_TOKEN set.',
    );
    const jobsBox = h('div', { id: 'jobs-table' });
    const runsBox = h('div', { id: 'runs-table' });
    const failuresBox = h('div', { id: 'failures-table' });
    root.append(
      card(
        'Jobs (times in UTC)',
        h('div', { class: 'toolbar' }, h('label', { class: 'group' }, 'API token ', token), feedback),
        triggersOff,
        jobsBox,
      ),
      card('Recent failures', failuresBox),
      card(
        'Run history',
        runsBox,
        h('p', { class: 'muted' }, h('a', { href: csvLink('/api/runs', { limit: 10000 }) }, 'All runs as CSV')),
      ),
    );

    async function trigger(name, button) {
      button.disabled = true;
      try {
        localStorage.setItem(TOKEN_KEY, token.value);
        const started = await post(`/api/jobs/${encodeURIComponent(name)}/run`, token.value);
        feedback.textContent = `Started ${started.job} (${started.id}).`;
        feedback.className = 'note up';
        // The run is recorded as soon as its first step starts: show it without waiting for the timer.
        setTimeout(refresh, 700);
      } catch (error) {
        feedback.textContent = `${name}: ${error.message}`;
        feedback.className = 'note down';
      } finally {
        button.disabled = false;
      }
    }

    return async () => {
      triggersOff.hidden = ctx.status.triggers;
      const [jobs, runs, failures] = await Promise.all([
        get('/api/jobs', { limit: 1000 }),
        get('/api/runs', { limit: 50 }),
        get('/api/runs', { status: 'failed', limit: 20 }),
      ]);
      fill(
        jobsBox,
        table(
          [
            { key: 'name', label: 'Job', format: (v) => h('code', {}, v) },
            { key: 'description', label: 'What it does', wrap: true },
            { key: 'schedule', label: 'Schedule', format: (v) => v ?? 'manual' },
            { key: 'next_run', label: 'Next run', format: fmtTime },
            { key: 'last_outcome', label: 'Last run', format: fmtStatus },
            { key: 'last_started_at', label: 'Started', format: fmtTime },
            { key: 'failures_24h', label: 'Failures 24 h', num: true },
            {
              key: 'name',
              label: '',
              format: (name) => {
                const button = h(
                  'button',
                  { type: 'button', class: 'primary', 'data-job': name, disabled: !ctx.status.triggers },
                  'Run now',
                );
                button.addEventListener('click', () => trigger(name, button));
                return button;
              },
            },
          ],
          jobs.items,
        ),
      );
      const runColumns = [
        { key: 'id', label: '#', num: true },
        { key: 'job', label: 'Job' },
        { key: 'stream', label: 'Step' },
        { key: 'outcome', label: 'Status', format: fmtStatus },
        { key: 'trigger', label: 'Trigger' },
        { key: 'started_at', label: 'Started', format: fmtTime },
        { key: 'duration_ms', label: 'Seconds', num: true, format: (v) => (v === null ? '…' : (v / 1000).toFixed(1)) },
        { key: 'rows_loaded', label: 'Rows loaded', num: true, format: (v) => fmtNumber(v) },
        { key: 'rows_rejected', label: 'Rejected', num: true },
        { key: 'error', label: 'Error', wrap: true },
      ];
      fill(runsBox, runs.items.length > 0 ? table(runColumns, runs.items) : empty('No runs yet', 'coingecko-markets'));
      fill(
        failuresBox,
        failures.items.length > 0 ? table(runColumns, failures.items) : h('p', { class: 'muted' }, 'No failed runs.'),
      );
    };
  },
};
