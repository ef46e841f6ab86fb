import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOCK_CASES } from '../helpers/clock.ts';
import { API_TOKEN, type SandboxApp, startSandboxApp } from '../helpers/sandboxApp.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'artifacts/dashboard';

type Series = { type: string; name: string; data: unknown[] };

/** The series ECharts is drawing in the chart element `id`, as the page set them. */
async function chartSeries(page: Page, id: string): Promise<Series[]> {
  return page.evaluate((chartId) => {
    const el = document.getElementById(chartId);
    // biome-ignore lint/suspicious/noExplicitAny: the page's global echarts, loaded from /vendor
    const chart = el && (window as any).echarts.getInstanceByDom(el);
    if (!chart) throw new Error(`no chart in #${chartId}`);
    return chart.getOption().series.map((s: Series) => ({ type: s.type, name: s.name, data: s.data }));
  }, id);
}

async function chartAxis(page: Page, id: string, axis: 'xAxis' | 'yAxis'): Promise<unknown[]> {
  return page.evaluate(
    ([chartId, name]) => {
      // biome-ignore lint/suspicious/noExplicitAny: the page's global echarts
      const chart = (window as any).echarts.getInstanceByDom(document.getElementById(chartId as string));
      return chart.getOption()[name as string][0].data;
    },
    [id, axis],
  );
}

/** Cell texts of a table, row by row. */
async function tableCells(page: Page, selector: string, key: string): Promise<string[]> {
  return page.locator(`${selector} tbody td[data-key="${key}"]`).allTextContents();
}

/** The data of one series of a chart; fails when the chart has no such series. */
async function seriesData<T>(page: Page, id: string, index = 0): Promise<T[]> {
  const series = (await chartSeries(page, id))[index];
  if (!series) throw new Error(`#${id} has no series ${index}`);
  return series.data as T[];
}

const near = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
/** Same length, and each number equal to the expected one up to float noise. */
function expectNumbers(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  const off = actual.findIndex((a, i) => !near(a, expected[i] as number));
  expect(off, `first mismatch at ${off}: ${actual[off]} vs ${expected[off]}`).toBe(-1);
}
const text = async (page: Page, selector: string) => (await page.locator(selector).first().textContent()) ?? '';
const iso = (d: Date | string) => new Date(d).toISOString();

// The browser's clock is the sandbox's, and its time zone one where that instant falls on another local date
// (with daylight saving), so a page that read local dates or the wall clock would show it.
const BROWSER_CASES = [
  { ...CLOCK_CASES[0], timezoneId: 'America/New_York' },
  { ...CLOCK_CASES[1], timezoneId: 'Asia/Tokyo' },
  { ...CLOCK_CASES[2], timezoneId: 'Pacific/Chatham' },
];

describe.each(BROWSER_CASES)('dashboard in headless Chromium at $name, in $timezoneId', ({ iso: at, timezoneId }) => {
  let sandbox: SandboxApp;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  async function open(name: string): Promise<void> {
    await page.goto(`${sandbox.url}/#/${name}`);
    await page.waitForSelector(`body[data-loaded="${name}"]`, { timeout: 20_000 });
    expect(await page.locator('#error-banner').isHidden()).toBe(true);
  }

  /** Saves the page, after checking it fits the window's width (wide tables scroll inside their card). */
  async function shot(name: string): Promise<void> {
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, window: innerWidth }));
    expect(widths.page, `${name} is wider than the window`).toBeLessThanOrEqual(widths.window);
    await page.screenshot({ path: `${ARTIFACTS}/${at.slice(0, 10)}/${name}.png`, fullPage: true });
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is missing at ${CHROMIUM}: install it with "apt-get install -y chromium" (.ci/run does)`,
      );
    }
    mkdirSync(`${ARTIFACTS}/${at.slice(0, 10)}`, { recursive: true });
    sandbox = await startSandboxApp('pglite', {}, { nowMs: Date.parse(at) });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, timezoneId });
    await page.clock.setFixedTime(new Date(at));
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Auto-refresh off: the assertions read a page that does not change under them.
    await page.addInitScript(() => localStorage.setItem('refreshSeconds', '0'));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.close();
  });

  it('behavior: Overview shows the sandbox banner, the market table, dominance and movers as in the database', async () => {
    await open('overview');
    expect(await page.locator('#sandbox-banner').isVisible()).toBe(true);
    expect(await text(page, '#sandbox-banner')).toContain('SYNTHETIC');

    const db = await sandbox.db.query<{ rank: number; name: string; dominance_pct: number }>(
      'SELECT rank::int AS rank, name, dominance_pct::float8 AS dominance_pct FROM warehouse.market_overview ORDER BY rank',
    );
    expect(db.length).toBe(300);
    expect(await tableCells(page, '#market-table', 'rank')).toEqual(db.slice(0, 50).map((r) => String(r.rank)));
    expect((await tableCells(page, '#market-table', 'name')).slice(0, 3)).toEqual(
      db.slice(0, 3).map((r) => expect.stringContaining(r.name)),
    );

    const slices = await seriesData<{ name: string; value: number }>(page, 'chart-dominance');
    expect(slices.slice(0, 10).map((s) => s.name)).toEqual(db.slice(0, 10).map((r) => r.name));
    expectNumbers(
      slices.slice(0, 10).map((s) => s.value),
      db.slice(0, 10).map((r) => r.dominance_pct),
    );
    const others = db.slice(10).reduce((sum, r) => sum + r.dominance_pct, 0);
    expect(slices[10]?.name).toBe('Others');
    expect(Math.abs((slices[10]?.value ?? 0) - others)).toBeLessThan(1e-3);

    const movers = await sandbox.db.query<{ symbol: string; pct: number }>(
      `(SELECT symbol, price_change_percentage_24h::float8 AS pct FROM warehouse.market_overview
        ORDER BY price_change_percentage_24h DESC NULLS LAST, rank LIMIT 5)
       UNION
       (SELECT symbol, price_change_percentage_24h::float8 FROM warehouse.market_overview
        ORDER BY price_change_percentage_24h ASC NULLS LAST, rank LIMIT 5)`,
    );
    const bars = await seriesData<{ value: number }>(page, 'chart-movers');
    const shown = (await chartAxis(page, 'chart-movers', 'yAxis')) as string[];
    const expected = new Map(movers.map((m) => [m.symbol.toUpperCase(), m.pct]));
    expect(new Set(shown)).toEqual(new Set(expected.keys()));
    expectNumbers(
      bars.map((d) => d.value),
      shown.map((symbol) => expected.get(symbol) as number),
    );
    await shot('overview');
  });

  it('behavior: Prices draws daily candles and the hourly line of the database, and compares coins', async () => {
    await open('prices');
    await page.click('button[data-range="all"]');
    const daily = await sandbox.db.query<{ time: Date; open: number; close: number; low: number; high: number }>(
      `SELECT day::timestamp AT TIME ZONE 'UTC' AS time, open::float8 AS open, close::float8 AS close,
         low::float8 AS low, high::float8 AS high
       FROM warehouse.prices_daily WHERE coin_id = 'bitcoin' ORDER BY day`,
    );
    expect(daily.length).toBeGreaterThan(0);
    await expect.poll(async () => (await chartSeries(page, 'chart-price'))[0]?.data.length).toBe(daily.length);
    const [candles] = await chartSeries(page, 'chart-price');
    expect(candles?.type).toBe('candlestick');
    expect(candles?.data).toEqual(daily.map((d) => [iso(d.time), d.open, d.close, d.low, d.high]));
    await shot('prices-daily');

    await page.click('button[data-interval="hourly"]');
    const hourly = await sandbox.db.query<{ hour: Date; close: number }>(
      `SELECT hour, close::float8 AS close FROM warehouse.prices_hourly WHERE coin_id = 'bitcoin' ORDER BY hour`,
    );
    await expect.poll(async () => (await chartSeries(page, 'chart-price'))[0]?.type).toBe('line');
    const [line] = await chartSeries(page, 'chart-price');
    expect(line?.data).toEqual(hourly.map((h) => [iso(h.hour), h.close]));

    await page.check('#price-compare input[value="ethereum"]');
    await expect.poll(async () => (await chartSeries(page, 'chart-compare')).length).toBe(2);
    const compare = await chartSeries(page, 'chart-compare');
    const eth = await sandbox.db.query<{ close: number }>(
      `SELECT close::float8 AS close FROM warehouse.prices_hourly WHERE coin_id = 'ethereum' ORDER BY hour`,
    );
    const first = eth[0]?.close as number;
    const last = eth.at(-1)?.close as number;
    const ethLine = compare.find((s) => s.name === 'ethereum')?.data as [string, number][];
    expect(ethLine).toHaveLength(eth.length);
    expect(near(ethLine.at(-1)?.[1] as number, ((last - first) / first) * 100)).toBe(true);
    await shot('prices-hourly-compare');
  });

  it('behavior: CoW trades charts execution vs market price, daily volume and the improvement histogram', async () => {
    await open('cow');
    const trades = await sandbox.db.query<{ block_time: Date; execution_price: number; improvement_bps: number }>(
      `SELECT block_time, execution_price::float8 AS execution_price, improvement_bps::float8 AS improvement_bps
       FROM warehouse.cow_trades_priced ORDER BY block_time, tx_hash`,
    );
    expect(trades.length).toBeGreaterThan(0);
    const points = await seriesData<[string, number]>(page, 'chart-cow-prices');
    expect(points.map((p) => p[0])).toEqual(trades.map((t) => iso(t.block_time)));
    expectNumbers(
      points.map((p) => p[1]),
      trades.map((t) => t.execution_price),
    );

    const days = await sandbox.db.query<{ day: string; usd_volume: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, usd_volume::float8 AS usd_volume FROM warehouse.cow_daily ORDER BY day`,
    );
    const bars = await seriesData<[string, number]>(page, 'chart-cow-volume');
    expect(bars.map((b) => b[0])).toEqual(days.map((d) => d.day));
    expectNumbers(
      bars.map((b) => b[1]),
      days.map((d) => d.usd_volume),
    );

    // The histogram, recomputed from the database: 5 bps bins from -edge to +edge, outliers in the end bins.
    const categories = (await chartAxis(page, 'chart-cow-improvement', 'xAxis')) as string[];
    const edge = -Number(categories[0]);
    const counts = new Map(categories.map((c) => [Number(c), 0]));
    for (const t of trades) {
      const bin = Math.floor(Math.min(edge, Math.max(-edge, t.improvement_bps)) / 5) * 5;
      counts.set(bin, (counts.get(bin) ?? 0) + 1);
    }
    const histogram = await seriesData<number>(page, 'chart-cow-improvement');
    expect(histogram).toEqual([...counts.values()]);
    expect(histogram.reduce((a, b) => a + b, 0)).toBe(trades.length);

    // Dune vs the chain: the sandbox's chain holds the same trades, so every day agrees and none is unmatched.
    const compared = await sandbox.db.query<{ day: string; dune_trades: string; agrees: boolean }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, dune_trades::text AS dune_trades, agrees
       FROM warehouse.cow_reconciliation_daily ORDER BY day DESC`,
    );
    expect(compared.length).toBeGreaterThan(0);
    expect(compared.every((d) => d.agrees)).toBe(true);
    expect(await tableCells(page, '#cow-reconciliation', 'day')).toEqual(compared.map((d) => d.day));
    expect(await tableCells(page, '#cow-reconciliation', 'dune_trades')).toEqual(compared.map((d) => d.dune_trades));
    expect(new Set(await tableCells(page, '#cow-reconciliation', 'agrees'))).toEqual(new Set(['yes']));
    expect(await text(page, '#cow-unmatched')).toContain('Every trade is in both');
    await shot('cow');
  });

  it('behavior: Chain charts each daily measure of the database, or says which job fills it', async () => {
    await open('chain');
    const [exists] = await sandbox.db.query<{ rel: string | null }>(
      `SELECT to_regclass('warehouse.chain_daily')::text AS rel`,
    );
    const rows = exists?.rel
      ? await sandbox.db.query<Record<string, unknown>>('SELECT * FROM warehouse.chain_daily ORDER BY 1')
      : [];
    if (rows.length === 0) {
      expect(await text(page, '#page-chain [data-empty]')).toMatch(/No chain data yet: run .*crypto-etl run /);
    } else {
      // Each measure the page chose to draw must hold the database's values.
      const ids = await page.locator('#chain-charts .chart').evaluateAll((els) => els.map((el) => el.id));
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) {
        const measure = id.replace('chart-chain-', '');
        const points = (await chartSeries(page, id)).flatMap((series) => series.data as [string, number][]);
        expect(points.map((p) => p[1]).sort(), measure).toEqual(rows.map((r) => Number(r[measure])).sort());
      }
    }
    // Latest transfers: the token's symbol, amounts in token units, addresses shortened (the table fits the card).
    const transfers = await sandbox.db.query<{ symbol: string; units: string; from: string }>(
      `SELECT token_symbol AS symbol, amount_units::float8::text AS units, from_address AS "from"
       FROM warehouse.erc20_transfers ORDER BY block_time DESC, block_number DESC, log_index DESC LIMIT 20`,
    );
    expect(transfers.length).toBeGreaterThan(0);
    expect(await tableCells(page, '#transfers-table', 'token_symbol')).toEqual(transfers.map((t) => t.symbol));
    expect(
      (await tableCells(page, '#transfers-table', 'amount_units')).map((v) => Number(v.replaceAll(',', ''))),
    ).toEqual(transfers.map((t) => Number(Number(t.units).toFixed(2))));
    const from = (await tableCells(page, '#transfers-table', 'from_address'))[0];
    expect(from).toBe(`${transfers[0]?.from.slice(0, 6)}…${transfers[0]?.from.slice(-4)}`);
    const fits = await page.locator('#transfers-table .scroll').evaluate((el) => el.scrollWidth <= el.clientWidth);
    expect(fits, 'the transfers table is cut off at the right').toBe(true);
    await shot('chain');
  });

  it('behavior: the Jobs trigger button starts a run that then appears in the run history', async () => {
    await open('jobs');
    await page.fill('#api-token', API_TOKEN);
    await page.click('button[data-job="warehouse-refresh"]');
    await expect.poll(() => text(page, '#trigger-feedback')).toContain('Started warehouse-refresh');
    await expect
      .poll(async () => {
        const jobs = await tableCells(page, '#runs-table', 'job');
        const triggers = await tableCells(page, '#runs-table', 'trigger');
        return jobs.some((job, i) => job === 'warehouse-refresh' && triggers[i] === 'api');
      })
      .toBe(true);
    const [run] = await sandbox.db.query<{ id: number }>(
      `SELECT id::int AS id FROM etl.runs WHERE job = 'warehouse-refresh' AND trigger = 'api'`,
    );
    expect(await tableCells(page, '#runs-table', 'id')).toContain(String(run?.id));
    await shot('jobs');
  });

  it('error: a wrong token is refused and the page says so', async () => {
    await open('jobs');
    await page.fill('#api-token', 'not-the-token-at-all');
    await page.click('button[data-job="warehouse-refresh"]');
    await expect.poll(() => text(page, '#trigger-feedback')).toContain('Wrong bearer token');
  });

  it('behavior: Data quality lists the latest run of checks as stored', async () => {
    await open('quality');
    const latest = await sandbox.db.query<{ check_name: string; status: string }>(
      `SELECT check_name, status FROM etl.quality_results
       WHERE checked_at = (SELECT max(checked_at) FROM etl.quality_results) ORDER BY id DESC`,
    );
    expect(latest.length).toBeGreaterThan(0);
    expect(await tableCells(page, '#quality-table', 'check_name')).toEqual(latest.map((r) => r.check_name));
    const series = await chartSeries(page, 'chart-quality');
    const total = series.flatMap((s) => s.data as number[]).reduce((a, b) => a + b, 0);
    expect(total).toBe(latest.length);
    await shot('quality');
    expect(pageErrors).toEqual([]);
  });
});
