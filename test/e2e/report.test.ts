// The HTML report in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) opens it from file://, with no console errors, no failed or network requests,
// charts of non-zero size, a working window picker, and a screenshot written to a temp dir.
// Without /usr/bin/chromium this suite FAILS: install it (see the message below) or run
// `npm run test:unit`.
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURES, makeReport } from '../unit/report/support.js';

const CHROMIUM = process.env.DRIFTLINE_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('HTML report in headless Chromium', () => {
  let browser: Browser | undefined;
  let page: Page;
  let reportUrl: string;
  let shotDir: string;
  const consoleErrors: string[] = [];
  const failedRequests: string[] = [];
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: the e2e tests need it. Install Debian's package as root: `
        + '`apt-get update && apt-get install -y chromium` (or set DRIFTLINE_CHROMIUM to a Chromium binary). '
        + 'To run only the unit tests: `npm run test:unit`.');
    }
    const report = await makeReport();
    reportUrl = pathToFileURL(report.file).href;
    shotDir = mkdtempSync(path.join(tmpdir(), 'driftline-e2e-'));
    // launch() gives Chromium a fresh temporary profile (user-data-dir) of its own.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
    page.on('requestfailed', (r) => failedRequests.push(`${r.url()}: ${r.failure()?.errorText ?? '?'}`));
    page.on('request', (r) => { if (r.url() !== reportUrl) foreignRequests.push(r.url()); });
    const response = await page.goto(reportUrl, { waitUntil: 'load' });
    expect(response === null || response.ok()).toBe(true);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('loads from file:// without console errors, failed requests or other requests', async () => {
    expect(page.url()).toBe(reportUrl);
    expect(await page.title()).toMatch(/^Drift report: california_housing_analysis\.csv vs california_housing_reference\.csv$/);
    expect(consoleErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });

  it('draws every chart with a non-zero size', async () => {
    const sizes = await page.$$eval('svg.chart', (svgs) => svgs.map((s) => {
      const r = s.getBoundingClientRect();
      return { id: s.id, width: r.width, height: r.height };
    }));
    // a histogram per feature; 4 line charts per numeric feature, 3 for the categorical one
    expect(sizes.filter((s) => s.id.startsWith('hist-'))).toHaveLength(FEATURES.length);
    expect(sizes.filter((s) => s.id.startsWith('time-'))).toHaveLength((FEATURES.length - 1) * 4 + 3);
    for (const s of sizes) {
      expect(s.width, s.id).toBeGreaterThan(100);
      expect(s.height, s.id).toBeGreaterThan(100);
    }
    // bars and lines inside them are drawn too
    const bars = await page.$$eval('svg.chart.bars rect.cur', (rs) => rs.map((r) => r.getBoundingClientRect().height));
    expect(bars.filter((h) => h > 0).length).toBeGreaterThan(FEATURES.length);
    const paths = await page.$$eval('svg.chart.lines path.series', (ps) => ps.map((p) => { const r = p.getBoundingClientRect(); return r.width; }));
    expect(paths.every((w) => w > 0)).toBe(true);
  });

  it('switches a histogram to one window\'s current data with the picker', async () => {
    const select = page.locator('select[data-feature]').first();
    const chart = await select.getAttribute('data-chart');
    const heights = () => page.$$eval(`#${chart} rect.cur`, (rs) => rs.map((r) => Number(r.getAttribute('height'))));
    const before = await heights();
    await select.selectOption('0');
    const after = await heights();
    expect(after).toHaveLength(before.length);
    expect(after.some((h, i) => Math.abs(h - before[i]) > 1)).toBe(true);
    expect(await page.locator(`#${chart} text.cur-legend`).textContent()).toMatch(/^current, window 2021-06$/);
    await select.selectOption('all');
    const back = await heights();
    back.forEach((h, i) => expect(Math.abs(h - before[i])).toBeLessThanOrEqual(0.11));
    expect(consoleErrors).toEqual([]);
  });

  it('writes a screenshot', async () => {
    const file = path.join(shotDir, 'report.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(50_000);
    console.log(`report screenshot: ${file}`);
  });
});
