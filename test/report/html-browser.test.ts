/**
 * The HTML report in a real browser: Debian's chromium driven by puppeteer-core (which
 * downloads nothing). The page is opened from a file with the network cut off, so a chart
 * that needed anything but the page fails here. Asserts no console error or page error,
 * every chart drawn as SVG with marks, a tooltip on hover, and the tables and inputs there.
 * Skips when no chromium is installed, except under CI=true (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';

import type { Browser, Page } from 'puppeteer-core';

import { migsim } from '../cli/helpers.js';

const CANDIDATES = [process.env.MIGSIM_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((path): path is string => path !== undefined && path !== '');
const chromium = CANDIDATES.find((path) => existsSync(path)) ?? null;
const skip = chromium === null && process.env.CI !== 'true' ? 'no chromium here (apt-get install chromium; .ci/run does)' : false;

describe('the HTML report in headless chromium', { skip }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'migsim-html-'));
  const file = join(scratch, 'report.html');
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];

  before(async () => {
    assert.ok(chromium !== null, `CI=true but no chromium at ${CANDIDATES.join(', ')}`);
    const result = migsim(['run', 'test/fixtures/tiny.yaml', '--hints', 'free-page-hint,page-reporting', '--html', file]);
    assert.equal(result.status, 0, result.stderr);
    const { launch } = await import('puppeteer-core');
    browser = await launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warn') problems.push(`console.${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${(error as Error).message}`));
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      requests.push(request.url());
      if (request.url().startsWith('file:')) void request.continue();
      else void request.abort();
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.evaluate('window.migsimCharts');
  });

  after(async () => {
    await browser?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('loads with no console errors, no page errors and no request beyond the file', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [pathToFileURL(file).href]);
  });

  it('draws every chart as SVG with marks', async () => {
    const charts = await page.$$eval('div.chart', (elements) =>
      elements.map((element) => ({
        id: element.parentElement?.id ?? '',
        rendered: (element as HTMLElement).dataset.rendered === 'true',
        marks: element.querySelectorAll('svg g.role-mark > path, svg g.role-mark > line, svg g.role-mark > rect').length,
        legends: element.querySelectorAll('svg g.role-legend').length,
      })),
    );
    // tiny with none, free-page-hint and page-reporting: four per-round charts, three summary charts.
    assert.deepEqual(
      charts.map((chart) => chart.id),
      ['tiny-bytes-per-round', 'tiny-bytes-per-round-log', 'tiny-cumulative-bytes', 'tiny-dirty-pages', 'tiny-saved-bytes', 'tiny-downtime', 'tiny-guest-cost'],
    );
    for (const chart of charts) {
      assert.ok(chart.rendered, `${chart.id} rendered`);
      assert.ok(chart.marks > 0, `${chart.id} has marks`);
    }
  });

  it('shows a mark\'s values on hover', async () => {
    const bar = await page.$('#tiny-bytes-per-round svg g.role-mark > path');
    assert.ok(bar !== null);
    await bar.hover();
    const tip = await page.$eval('#migsim-tooltip', (element) => ({ shown: (element as HTMLElement).style.display, text: element.textContent ?? '' }));
    assert.equal(tip.shown, 'block');
    assert.match(tip.text, /run.*none/);
    assert.match(tip.text, /bytes/);
  });

  it('has the summary in human units, the rounds as a table, and the inputs', async () => {
    const html = readFileSync(file, 'utf8');
    assert.ok(!/<script[^>]+src=/.test(html) && !/<link[^>]+href=/.test(html), 'no external script or stylesheet');
    const summary = await page.$$eval('table.summary tr', (rows) => rows.map((row) => [...row.children].map((cell) => cell.textContent ?? '')));
    assert.deepEqual(summary[0], ['', 'none', 'free-page-hint', 'page-reporting']);
    const labels = summary.slice(1).map((row) => row[0]);
    for (const label of ['total bytes', 'downtime', 'hint calls', 'guest CPU', 'zeroing', 'max lock hold', 'trace rows skipped']) assert.ok(labels.includes(label), label);
    const downtime = summary.find((row) => row[0] === 'downtime')!;
    assert.match(downtime[1], /^[0-9.]+ (ms|s|µs)$/);
    const total = summary.find((row) => row[0] === 'total bytes')!;
    assert.match(total[1], /^[0-9.]+ (KiB|MiB|GiB)$/);
    const rounds = await page.$$eval('table.rounds tbody tr', (rows) => rows.length);
    assert.ok(rounds >= 6, `${rounds} round rows`);
    const inputs = await page.$eval('dl.inputs', (element) => element.textContent ?? '');
    assert.match(inputs, /migsim run test\/fixtures\/tiny\.yaml --hints free-page-hint,page-reporting --html/);
    assert.match(inputs, /\d{4}-\d\d-\d\dT/);
    assert.match(await page.$eval('details pre', (element) => element.textContent ?? ''), /guest:/);
  });
});
