import type { RunRow } from '../pipeline/status.ts';

const escapeHtml = (v: unknown) =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString().replace('.000Z', 'Z') : '—');

export interface StatusPageData {
  sandbox: boolean;
  runs: RunRow[];
  watermarks: { stream: string; cursor: unknown; updated_at: Date }[];
  jobs: { name: string; schedule: string | null; nextRun: Date | null }[];
}

/** A plain HTML page of jobs, recent runs and watermarks, refreshed every 30 s. */
export function renderStatusPage(data: StatusPageData): string {
  const banner = data.sandbox
    ? '<p class="sandbox" role="alert">SANDBOX — the data here is SYNTHETIC, served by the built-in emulators.</p>'
    : '';
  const jobs = data.jobs
    .map(
      (j) =>
        `<tr><td>${escapeHtml(j.name)}</td><td>${escapeHtml(j.schedule ?? 'manual')}</td><td>${iso(j.nextRun)}</td></tr>`,
    )
    .join('');
  const runs = data.runs
    .map(
      (r) =>
        `<tr class="${escapeHtml(r.status)}"><td>${r.id}</td><td>${escapeHtml(r.job)}</td><td>${escapeHtml(r.stream)}</td><td>${escapeHtml(r.status)}</td><td>${iso(r.started_at)}</td><td>${r.rows_loaded}</td><td>${r.rows_rejected}</td><td>${escapeHtml(r.error)}</td></tr>`,
    )
    .join('');
  const marks = data.watermarks
    .map(
      (w) =>
        `<tr><td>${escapeHtml(w.stream)}</td><td>${iso(w.updated_at)}</td><td><code>${escapeHtml(JSON.stringify(w.cursor))}</code></td></tr>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
<title>crypto-etl status</title><style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin-bottom:2rem}
td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}tr.failed{background:#fde8e8}
.sandbox{background:#fff3cd;border:1px solid #e0b000;padding:8px 12px;font-weight:600}code{font-size:12px}
</style></head><body><h1>crypto-etl</h1>${banner}
<h2>Jobs (UTC)</h2><table><tr><th>job</th><th>schedule</th><th>next run</th></tr>${jobs}</table>
<h2>Recent runs</h2><table><tr><th>#</th><th>job</th><th>step</th><th>status</th><th>started</th><th>rows loaded</th><th>rejected</th><th>error</th></tr>${runs || '<tr><td colspan="8">No runs yet: run <code>crypto-etl run coingecko-markets</code>.</td></tr>'}</table>
<h2>Watermarks</h2><table><tr><th>stream</th><th>updated</th><th>cursor</th></tr>${marks || '<tr><td colspan="3">none yet</td></tr>'}</table>
</body></html>`;
}
