import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createRestServer } from '../src/web/rest-server.js';
import { FakeJobsBackend } from './fixtures/fake-jobs-backend.js';
import { builtDashboard } from './fixtures/web/built-dashboard.js';

/**
 * The dashboard in a real Chromium (Debian's, driven by playwright-core) against the REST API over a fake backend
 * whose documents change as they are read: every page renders without console errors, the job list shows the jobs,
 * the graph draws each vertex, the plots gain samples while the job runs, the scaling page shows the bottleneck and
 * the autoscaler's decisions, and the buttons send the right requests.
 * Screenshots go to test-artifacts/.
 */

const repo = new URL('..', import.meta.url).pathname;
const artifacts = join(repo, 'test-artifacts');
const TOKEN = 'dashboard-test-token';
const RUNNING = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const FAILED = '0000000000000000000000000000dead';

let browser: Browser;
let server: Awaited<ReturnType<typeof createRestServer>>;
let backend: FakeJobsBackend;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const staticDir = builtDashboard();
  backend = new FakeJobsBackend();
  server = await createRestServer(backend, { host: '127.0.0.1', port: 0, token: TOKEN, staticDir });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A fresh page at `hash` (with the token in the address, as `sluice serve` prints it) recording console errors. */
async function open(hash: string, withToken = true): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const sep = hash.includes('?') ? '&' : '?';
  await page.goto(`${server.url}/${hash}${withToken ? `${sep}token=${TOKEN}` : ''}`);
  return { page, errors };
}

async function finish(page: Page, errors: string[], shot: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `dashboard-${shot}.png`), fullPage: true });
  await page.close();
  assert.deepEqual(errors, [], 'no console errors');
}

test('overview shows the counts and the running and completed jobs; the token leaves the address', async () => {
  const { page, errors } = await open('#/');
  await page.locator('table.jobs tr[data-jid]').nth(2).waitFor();
  assert.equal(await page.locator('[data-card="Running"] .card-value').textContent(), '1');
  assert.equal(await page.locator('[data-card="Failed"] .card-value').textContent(), '1');
  const running = await page.locator('table.jobs').first().locator('tr[data-jid]').allTextContents();
  assert.equal(running.length, 1);
  assert.match(running[0]!, /Click counts/);
  assert.ok(!page.url().includes('token='), `token removed from ${page.url()}`);
  await finish(page, errors, 'overview');
});

test('the job list shows every job and filters them', async () => {
  const { page, errors } = await open('#/jobs');
  await page.locator('tr[data-jid]').nth(2).waitFor();
  const names = await page.locator('tr[data-jid] td:first-child').allTextContents();
  assert.deepEqual([...names].sort(), ['Broken parser', 'Click counts', 'Nightly backfill']);
  await page.fill('input.filter', 'failed');
  await page.waitForFunction("document.querySelectorAll('tr[data-jid]').length === 1");
  assert.equal(await page.locator('tr[data-jid] td:first-child').textContent(), 'Broken parser');
  await finish(page, errors, 'jobs');
});

test('the job graph draws each vertex coloured by busy and back-pressured time', async () => {
  const { page, errors } = await open(`#/jobs/${RUNNING}`);
  await page.locator('svg.job-graph g.vertex').nth(2).waitFor();
  assert.equal(await page.locator('svg.job-graph g.vertex').count(), 3);
  assert.equal(await page.locator('svg.job-graph g.edge').count(), 2);
  const look = async (id: string) => ({
    fill: await page.locator(`g.vertex[data-vertex="${id}"] rect`).first().getAttribute('fill'),
    backPressured: await page.locator(`g.vertex[data-vertex="${id}"]`).getAttribute('data-backpressured'),
  });
  // Busy 900 ms/s: near Flink's red (hue 21 of 0–210); back-pressured 700 ms/s: grey and hatched; idle: blue.
  assert.deepEqual(await look('window'), { fill: 'hsl(21, 75%, 42%)', backPressured: 'false' });
  assert.deepEqual(await look('src'), { fill: 'hsl(0, 0%, 24%)', backPressured: 'true' });
  assert.deepEqual(await look('sink'), { fill: 'hsl(202, 75%, 42%)', backPressured: 'false' });
  await finish(page, errors, 'job-graph');
});

test('the throughput and watermark plots gain samples while the job runs', async () => {
  const { page, errors } = await open(`#/jobs/${RUNNING}`);
  const plots = page.locator('.vertex-plots[data-vertex="window"]');
  await plots.locator('canvas').first().waitFor();
  const first = Number(await plots.getAttribute('data-samples'));
  // Each poll of the running job adds one sample; wait (on the page's own 1 s refresh) for two more.
  await page.waitForFunction(
    `Number(document.querySelector('.vertex-plots[data-vertex="window"]')?.dataset.samples) >= ${first + 2}`,
    undefined,
    { timeout: 30_000 },
  );
  const samples = Number(await plots.getAttribute('data-samples'));
  const points = await plots.locator('.time-plot').first().getAttribute('data-points');
  assert.ok(Number(points) >= first + 2, `the plot holds the new samples (${points} of ${samples})`);
  assert.equal(await page.locator('.vertex-plots').count(), 3, 'one pair of plots per vertex');
  await finish(page, errors, 'plots');
});

test('checkpoints, exceptions and logs pages show their documents', async () => {
  const cp = await open(`#/jobs/${RUNNING}/checkpoints`);
  await cp.page.locator('tr[data-checkpoint]').nth(4).waitFor();
  assert.match((await cp.page.locator('tr[data-checkpoint="4"]').textContent()) ?? '', /4\.0 MiB/);
  await finish(cp.page, cp.errors, 'checkpoints');

  const ex = await open(`#/jobs/${FAILED}/exceptions`);
  const entry = ex.page.locator('article.exception').first();
  await entry.waitFor();
  const text = (await entry.textContent()) ?? '';
  assert.match(text, /SyntaxError/);
  assert.match(text, /Map: parse \(jobs\/parser\.ts:12\)/, 'names the function');
  assert.match(text, /"raw": "\{\\"user\\": 42"/, 'shows the record');
  await finish(ex.page, ex.errors, 'exceptions');

  const logs = await open(`#/jobs/${RUNNING}/logs`);
  await logs.page.waitForFunction("document.querySelectorAll('.log-line').length === 40");
  await logs.page.fill('input[name="q"]', 'overflowed');
  await logs.page.click('.log-tools button[type="submit"]');
  await logs.page.waitForFunction("document.querySelectorAll('.log-line').length === 4");
  assert.match((await logs.page.locator('.log-line').first().textContent()) ?? '', /error.*window 9 overflowed/i);
  await finish(logs.page, logs.errors, 'logs');
});

test('the scaling page shows the bottleneck and the autoscaler decisions, newest first, each opening to its inputs', async () => {
  const { page, errors } = await open(`#/jobs/${RUNNING}`);
  await page.click('nav.tabs a:text-is("Scaling")');
  await page.locator('table.decisions tr[data-decision]').nth(2).waitFor();
  assert.match(page.url(), /#\/jobs\/[0-9a-f]+\/scaling/);
  assert.equal(await page.locator('.bottleneck-name').textContent(), 'Window(tumbling 1 min) -> sum');
  assert.match((await page.locator('.bottleneck-reason').textContent()) ?? '', /critical path 64%.*hot key: subtask 1/);
  const window = (await page.locator('tr[data-report-vertex="1"]').textContent()) ?? '';
  assert.match(window, /90%.*1,100\/s.*64%.*#1 \(71%\)/, 'busy, true rate, critical share and hot subtask');
  assert.equal(await page.locator('[data-card="Rescales"] .card-value').textContent(), '1');
  const order = await page.locator('tr[data-decision]').evaluateAll((rows) => rows.map((r) => r.dataset.decision));
  assert.deepEqual(order, ['3', '2', '1'], 'newest first');
  assert.equal(await page.locator('tr[data-decision-inputs]').count(), 0, 'inputs closed at first');

  await page.click('tr[data-decision="1"] button.expand');
  const inputs = page.locator('tr[data-decision-inputs="1"]');
  await inputs.waitFor();
  assert.match(
    (await inputs.locator('tr[data-decision-vertex="window"]').textContent()) ?? '',
    /a hot key\): more than p=2/,
  );
  assert.match((await inputs.locator('tr[data-decision-vertex="src"]').textContent()) ?? '', /waits for input/);
  await page.click('tr[data-decision="3"] button.expand');
  const rescale = page.locator('tr[data-decision-inputs="3"] tr[data-decision-vertex="window"]');
  assert.match(
    (await rescale.textContent()) ?? '',
    /2 → 4.*2,000\/s.*4,000\/s.*1,100\/s.*90%.*182%.*DS2 sizes it to p=4/,
  );
  await finish(page, errors, 'scaling');
});

test('the vertex table shows the parallelism the latest decision proposes', async () => {
  const { page, errors } = await open(`#/jobs/${RUNNING}`);
  await page.locator('tr[data-vertex-row="window"] td.parallelism', { hasText: '→' }).waitFor();
  assert.equal(await page.locator('tr[data-vertex-row="window"] td.parallelism').textContent(), '2 → 4');
  assert.equal(await page.locator('tr[data-vertex-row="src"] td.parallelism').textContent(), '2', 'unchanged');
  await finish(page, errors, 'job-proposed-parallelism');
});

test('a job neither analysed nor autoscaled gets hints on its scaling page', async () => {
  const { page, errors } = await open(`#/jobs/${FAILED}/scaling`);
  await page.locator('[data-hint="autoscaler"]').waitFor();
  assert.match((await page.locator('[data-hint="critical-path"]').textContent()) ?? '', /sluice analyze/);
  assert.match((await page.locator('[data-hint="autoscaler"]').textContent()) ?? '', /--autoscale/);
  await finish(page, errors, 'scaling-hints');
});

test('the submit form posts the job file, its arguments and parallelism, then opens the job', async () => {
  const { page, errors } = await open('#/submit');
  await page.fill('input[name="file"]', '/srv/jobs/word-count.ts');
  await page.fill('input[name="args"]', '--input "data/in file.csv" --verbose');
  await page.fill('input[name="parallelism"]', '3');
  await page.click('form.submit-form button[type="submit"]');
  await page.waitForFunction("location.hash.startsWith('#/jobs/5ub')");
  const call = backend.calls.find((c) => c.method === 'submit');
  assert.deepEqual(call?.body, {
    file: '/srv/jobs/word-count.ts',
    args: ['--input', 'data/in file.csv', '--verbose'],
    parallelism: 3,
  });
  await page.locator('svg.job-graph g.vertex').first().waitFor();
  await finish(page, errors, 'submitted');

  const sql = await open('#/submit');
  await sql.page.check('input[name="kind"][value="sql"]');
  await sql.page.fill('textarea[name="sql"]', 'SELECT 1');
  await sql.page.click('form.submit-form button[type="submit"]');
  await sql.page.waitForFunction("location.hash.startsWith('#/jobs/5ub')");
  assert.deepEqual(backend.calls.filter((c) => c.method === 'submit')[1]?.body, { sql: 'SELECT 1' });
  await finish(sql.page, sql.errors, 'submitted-sql');
});

test('savepoint, rescale and cancel send their requests', async () => {
  const { page, errors } = await open(`#/jobs/${RUNNING}`);
  await page.fill('input[name="savepoint-dir"]', '/tmp/sp');
  await page.click('button[name="savepoint"]');
  await page.locator('.actions .notice', { hasText: 'Savepoint written to /tmp/savepoints/' }).waitFor();
  assert.deepEqual(
    backend.calls.find((c) => c.method === 'savepoint'),
    {
      method: 'savepoint',
      jid: RUNNING,
      body: { 'target-directory': '/tmp/sp', 'cancel-job': false },
    },
  );

  await page.fill('input[name="parallelism"]', '4');
  await page.click('button[name="rescale"]');
  await page.locator('.actions .notice', { hasText: 'Rescaling to parallelism 4' }).waitFor();
  assert.deepEqual(
    backend.calls.find((c) => c.method === 'rescale'),
    {
      method: 'rescale',
      jid: RUNNING,
      body: { parallelism: 4 },
    },
  );

  await page.click('button[name="cancel"]');
  assert.ok(!backend.calls.some((c) => c.method === 'cancel'), 'nothing sent before the confirmation');
  await page.click('button[name="confirm-cancel"]');
  await page.locator('.job-header .badge', { hasText: 'CANCELED' }).waitFor();
  assert.deepEqual(
    backend.calls.find((c) => c.method === 'cancel'),
    { method: 'cancel', jid: RUNNING },
  );
  // The badge and the actions re-render from the same state, in no set order: wait for the actions to go.
  await page.locator('button[name="cancel"]').waitFor({ state: 'detached', timeout: 10_000 });
  assert.equal(await page.locator('button[name="cancel"]').count(), 0, 'no actions on an ended job');
  await finish(page, errors, 'canceled');
});

test('without a token the dashboard asks for it, then shows the pages', async () => {
  const { page, errors } = await open('#/jobs', false);
  await page.locator('section.login input[name="token"]').waitFor();
  await page.fill('section.login input[name="token"]', TOKEN);
  await page.click('section.login button[type="submit"]');
  await page.locator('tr[data-jid]').first().waitFor();
  await page.screenshot({ path: join(artifacts, 'dashboard-login.png') });
  await page.close();
  // Chromium reports each refused request as a console error; those are the only ones expected.
  assert.deepEqual(
    errors.filter((e) => !/status of 401/.test(e)),
    [],
  );
});
