import { get } from './lib/api.js';
import { disposeAll } from './lib/charts.js';
import { fill, h } from './lib/dom.js';
import chain from './pages/chain.js';
import cow from './pages/cow.js';
import jobs from './pages/jobs.js';
import overview from './pages/overview.js';
import prices from './pages/prices.js';
import quality from './pages/quality.js';

/**
 * The dashboard shell: hash routing (#/prices), the sandbox banner, auto-refresh. A page is
 * `{ title, mount(root, ctx) → update }`: mount builds it once, update (re)loads its data.
 */
const PAGES = { overview, prices, cow, chain, jobs, quality };

const root = document.getElementById('page');
const sandboxBanner = document.getElementById('sandbox-banner');
const errorBanner = document.getElementById('error-banner');
const refreshedAt = document.getElementById('refreshed-at');
const every = document.getElementById('refresh-every');

const ctx = { status: { sandbox: false, coins: [], vsCurrency: 'usd', triggers: false } };
let current = { name: '', update: async () => {} };
let timer;
let generation = 0;

function pageName() {
  const name = location.hash.replace(/^#\/?/, '').split('?')[0];
  return name in PAGES ? name : 'overview';
}

/** Reloads the status and the current page; errors show in a banner instead of breaking the page. */
async function refresh() {
  const mine = generation;
  try {
    ctx.status = await get('/api/status');
    sandboxBanner.hidden = !ctx.status.sandbox;
    await current.update();
    if (mine !== generation) return;
    errorBanner.hidden = true;
    refreshedAt.textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    errorBanner.textContent = `Cannot load ${current.name}: ${error.message}`;
    errorBanner.hidden = false;
  } finally {
    // Tests (and people) can tell when the page has shown its data at least once.
    if (mine === generation) document.body.dataset.loaded = current.name;
  }
}

async function show() {
  const name = pageName();
  generation++;
  delete document.body.dataset.loaded;
  disposeAll();
  for (const link of document.querySelectorAll('#nav a')) link.classList.toggle('active', link.dataset.page === name);
  const page = PAGES[name];
  document.title = `${page.title} · crypto-etl`;
  fill(root, h('h1', {}, page.title));
  const body = h('div', { class: 'page', id: `page-${name}` });
  root.append(body);
  current = { name, update: page.mount(body, ctx, refresh) };
  await refresh();
}

function schedule() {
  clearInterval(timer);
  const seconds = Number(every.value);
  localStorage.setItem('refreshSeconds', String(seconds));
  if (seconds > 0) timer = setInterval(refresh, seconds * 1000);
}

every.value = localStorage.getItem('refreshSeconds') ?? every.value;
every.addEventListener('change', schedule);
document.getElementById('refresh-now').addEventListener('click', refresh);
window.addEventListener('hashchange', show);
schedule();
show();
