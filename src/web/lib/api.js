/** The dashboard's only way to the server: the JSON API described at /docs. */

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error;
  }
}

function url(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    for (const v of Array.isArray(value) ? value : [value]) query.append(name, String(v));
  }
  const qs = query.toString();
  return qs ? `${path}?${qs}` : path;
}

/** GET a JSON document. */
export async function get(path, params) {
  const response = await fetch(url(path, params), { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** The rows of a table endpoint, following `nextOffset` up to `max` rows. */
export async function rows(path, params = {}, max = 10_000) {
  const out = [];
  let offset = 0;
  while (offset !== null && out.length < max) {
    const page = await get(path, { ...params, offset, limit: Math.min(10_000, max - out.length) });
    out.push(...page.items);
    offset = page.nextOffset;
  }
  return out;
}

/** POST with the API token as a bearer token. */
export async function post(path, token) {
  const response = await fetch(path, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** The link to the same rows as CSV. */
export function csvLink(path, params = {}) {
  return url(path, { ...params, format: 'csv' });
}

/** Names of the jobs whose name contains one of `words`, for empty states ("run dune-cow-trades"). */
export async function jobsLike(...words) {
  const jobs = await get('/api/jobs', { limit: 1000 });
  return jobs.items.map((j) => j.name).filter((name) => words.some((w) => name.includes(w)));
}
