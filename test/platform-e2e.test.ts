import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { committedLines, notCovered, ratedJob, ratedReference, SluiceProcess } from './fixtures/ckpt-support.js';
import { builtDashboard } from './fixtures/web/built-dashboard.js';
import { type PrometheusServer, startPrometheus } from './fixtures/web/prometheus-server.js';
import { killJobProcesses, type Service, startService, until, untilState } from './fixtures/web/serve-process.js';

/**
 * The platform end to end, with real processes only: `sluice serve` on a random port and a temporary data
 * directory running real `sluice run` children; a bounded job and a failing one submitted over REST and polled to
 * their end; per-vertex record counts, exceptions, logs after the end and after a restart of the service; a real
 * Prometheus server scraping `/metrics` and answering PromQL; the dashboard in headless Chromium; savepoint and
 * rescale of a checkpointed job with exactly-once output across the change; `sluice run --web --web-linger`; and
 * the refusal of a non-loopback bind without a token.
 */

const repo = new URL('..', import.meta.url).pathname;
const ordersJob = join(repo, 'test/fixtures/platform/orders-job.ts');
const holdJob = join(repo, 'test/fixtures/platform/hold-job.ts');
const artifacts = join(repo, 'test-artifacts');
const dir = mkdtempSync(join(tmpdir(), 'sluice-platform-e2e-'));
const data = join(dir, 'data');
const input = join(dir, 'orders.txt');
/** Input size: every per-vertex record count is checked against it. */
const N = 1000;
const orders = Array.from({ length: N }, (_, i) => `c${i % 13},${i}`);
/** The service runs with a token: Prometheus, the dashboard and every REST call must present it. */
const TOKEN = 'platform-e2e-token';
const serve = () => startService(['--port', '0', '--data-dir', data, '--token', TOKEN], { token: TOKEN });

const services: Service[] = [];
const processes: SluiceProcess[] = [];
let prometheus: PrometheusServer | undefined;
let browser: Browser | undefined;
let service: Service;

/** The jobs of the first service, by role. */
const jobs = { ok: '', failing: '', hold: '' };

before(async () => {
  writeFileSync(input, `${orders.join('\n')}\n`);
  builtDashboard();
  service = await serve();
  services.push(service);
});

after(async () => {
  await browser?.close().catch(() => {});
  await prometheus?.stop();
  for (const p of processes) await p.kill();
  for (const s of services) await s.stop('SIGKILL');
  killJobProcesses(data);
  killJobProcesses(join(dir, 'data-refused'));
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: REST documents are read field by field
type Doc = any;

/** GET `path`, asserting 200. */
async function get(s: Service, path: string): Promise<Doc> {
  const r = await s.api('GET', path);
  assert.equal(r.status, 200, `GET ${path}: ${r.status} ${r.text}`);
  return r.json;
}

/** Each vertex of a job's details with its record counts, and whether it has inputs / feeds another vertex. */
function vertexCounts(details: Doc): { name: string; read: number; write: number; source: boolean; sink: boolean }[] {
  const nodes = details.plan.nodes as { id: string; inputs?: { id: string }[] }[];
  const fed = new Set(nodes.flatMap((n) => (n.inputs ?? []).map((i) => i.id)));
  return (details.vertices as Doc[]).map((v) => ({
    name: v.name,
    read: v.metrics['read-records'],
    write: v.metrics['write-records'],
    source: (nodes.find((n) => n.id === v.id)?.inputs ?? []).length === 0,
    sink: !fed.has(v.id),
  }));
}

/** Every vertex read and wrote exactly the input size (sources read none, sinks write none, as Flink counts). */
function assertCountsEqualInput(details: Doc): void {
  const vertices = vertexCounts(details);
  assert.equal(vertices.length, 3, JSON.stringify(vertices));
  for (const v of vertices) {
    assert.equal(v.read, v.source ? 0 : N, `records read by ${v.name}`);
    assert.equal(v.write, v.sink ? 0 : N, `records written by ${v.name}`);
  }
}

/** The structured log lines of job `jid` (REST, first page of 1000). */
async function logLines(s: Service, jid: string): Promise<Doc[]> {
  return (await get(s, `/jobs/${jid}/logs?limit=1000`)).lines;
}

function assertUserLogs(lines: Doc[], jid: string): void {
  const opened = lines.filter((l) => l.msg === 'parse-amount opened');
  assert.deepEqual(opened.map((l) => l.subtask).sort(), [0, 1], 'one open line per subtask');
  for (const l of opened) {
    assert.equal(l.jobId, jid, 'log lines carry the service job id');
    assert.equal(l.vertex, 'parse-amount');
    assert.equal(l.level, 30);
  }
  assert.ok(
    lines.some((l) => l.msg === 'parse-amount first record' && /^c\d+$/.test(l.customer)),
    JSON.stringify(lines),
  );
}

test('a bounded job finishes and a failing one fails over REST: record counts, exceptions and logs', async () => {
  const submit = async (args: string[]) => {
    const r = await service.api('POST', '/jobs', { file: ordersJob, args, parallelism: 2 });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.jobid, /^[0-9a-f]{32}$/);
    return r.json.jobid as string;
  };
  jobs.ok = await submit([input, join(dir, 'orders-out.jsonl')]);
  jobs.failing = await submit([input, join(dir, 'failing-out.jsonl'), 'c7']);

  // Through /jobs/overview, then /jobs/:jid, until each has ended.
  assert.equal((await untilState(service, jobs.ok, ['FINISHED', 'FAILED', 'CANCELED'])).state, 'FINISHED');
  assert.equal((await untilState(service, jobs.failing, ['FINISHED', 'FAILED', 'CANCELED'])).state, 'FAILED');
  const ended = (jid: string) =>
    until(async () => {
      const d = await get(service, `/jobs/${jid}`);
      return ['FINISHED', 'FAILED', 'CANCELED'].includes(d.state) ? d : undefined;
    }, `details of ${jid} to show its end`);
  const details = await ended(jobs.ok);
  assert.equal(details.jid, jobs.ok);
  assert.equal(details.state, 'FINISHED');
  assertCountsEqualInput(details);
  const parse = (details.vertices as Doc[]).find((v) => v.name === 'parse-amount');
  assert.equal(parse.parallelism, 2);
  // Per subtask, and Flink's aggregation over subtasks.
  const vertex = await get(service, `/jobs/${jobs.ok}/vertices/${parse.id}`);
  assert.equal(vertex.subtasks.length, 2);
  assert.equal(
    (vertex.subtasks as Doc[]).reduce((n, t) => n + t.metrics['read-records'], 0),
    N,
    JSON.stringify(vertex.subtasks),
  );
  const agg = await get(service, `/jobs/${jobs.ok}/vertices/${parse.id}/subtasks/metrics?get=numRecordsIn`);
  assert.deepEqual(
    agg.map((m: Doc) => [m.id, m.sum]),
    [['numRecordsIn', N]],
  );
  const written = readFileSync(join(dir, 'orders-out.jsonl'), 'utf8').trim().split('\n');
  assert.equal(written.length, N);

  const failed = await ended(jobs.failing);
  assert.equal(failed.state, 'FAILED');
  const exceptions = await get(service, `/jobs/${jobs.failing}/exceptions`);
  assert.match(exceptions['root-exception'], /parse-amount/);
  const entry = exceptions.exceptionHistory.entries[0];
  assert.equal(entry.operator, 'parse-amount', JSON.stringify(entry));
  assert.equal(entry.record, '"c7,7"');
  assert.match(entry.stacktrace, /cannot parse the order of c7/);
  assert.match(entry.stacktrace, /ParseAmount\.map/, 'the stack trace names the user function');

  assertUserLogs(await logLines(service, jobs.ok), jobs.ok);
  assert.ok((await logLines(service, jobs.failing)).some((l) => l.msg === 'parse-amount opened'));
});

test('a real Prometheus server scrapes /metrics and answers a query over the job counters', async () => {
  const r = await service.api('POST', '/jobs', { file: holdJob, args: [String(N)], parallelism: 2 });
  assert.equal(r.status, 200, r.text);
  jobs.hold = r.json.jobid;
  const anonymous = await fetch(`${service.url}/metrics`);
  assert.equal(anonymous.status, 401, 'the service wants its token');
  prometheus = await startPrometheus(join(dir, 'prometheus'), `${service.url}/metrics`, { token: TOKEN });
  const p = prometheus;
  await until(
    async () => ((await p.target())?.health === 'up' ? true : undefined),
    `Prometheus to scrape ${service.url}/metrics (last: ${JSON.stringify(await p.target())})`,
  );
  // The hold job emits N records and then keeps running: its counters settle at N.
  const sum = (promql: string) =>
    until(async () => {
      const result = await p.query(promql);
      return result.length === 1 && result[0]!.value[1] === String(N) ? result : undefined;
    }, `Prometheus to answer ${promql} with ${N}`);
  await sum(`sum(sluice_task_numRecordsIn_total{job_id="${jobs.hold}"})`);
  await sum(`sum(sluice_task_numRecordsOut_total{job_id="${jobs.hold}",task_name="numbers-then-hold"})`);
  const running = await p.query(`sluice_job_state{job_id="${jobs.hold}",state="RUNNING"}`);
  assert.equal(running[0]?.value[1], '1');
  const finished = await p.query('sluice_service_jobs{state="FINISHED"}');
  assert.equal(finished[0]?.value[1], '1');

  const cancel = await service.api('PATCH', `/jobs/${jobs.hold}?mode=cancel`, {});
  assert.equal(cancel.status, 202, cancel.text);
  await untilState(service, jobs.hold, ['CANCELED']);
  await p.stop();
});

/** Opens the dashboard at `hash`, recording console errors. */
async function openPage(hash: string): Promise<{ page: Page; errors: string[] }> {
  browser ??= await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${service.url}/${hash}?token=${TOKEN}`);
  return { page, errors };
}

test('the dashboard served by sluice serve shows the jobs with their states and draws the job graph', async () => {
  mkdirSync(artifacts, { recursive: true });
  const list = await openPage('#/jobs');
  await list.page.locator('tr[data-jid]').nth(2).waitFor();
  const state = async (jid: string) => list.page.locator(`tr[data-jid="${jid}"] .badge`).textContent();
  assert.equal(await list.page.locator('tr[data-jid]').count(), 3);
  assert.equal(await state(jobs.ok), 'FINISHED');
  assert.equal(await state(jobs.failing), 'FAILED');
  assert.equal(await state(jobs.hold), 'CANCELED');
  await list.page.screenshot({ path: join(artifacts, 'platform-jobs.png'), fullPage: true });
  await list.page.close();
  assert.deepEqual(list.errors, [], 'no console errors on the job list');

  const job = await openPage(`#/jobs/${jobs.ok}`);
  await job.page.locator('svg.job-graph g.vertex').nth(2).waitFor();
  assert.equal(await job.page.locator('svg.job-graph g.vertex').count(), 3);
  assert.equal(await job.page.locator('svg.job-graph g.edge').count(), 2);
  assert.match((await job.page.locator('svg.job-graph').textContent()) ?? '', /parse-amount/);
  await job.page.screenshot({ path: join(artifacts, 'platform-job.png'), fullPage: true });
  await job.page.close();
  assert.deepEqual(job.errors, [], 'no console errors on the job page');

  const ex = await openPage(`#/jobs/${jobs.failing}/exceptions`);
  await ex.page.locator('article.exception').first().waitFor();
  assert.match((await ex.page.locator('article.exception').first().textContent()) ?? '', /parse-amount/);
  await ex.page.close();
  assert.deepEqual(ex.errors, [], 'no console errors on the exceptions page');

  const logs = await openPage(`#/jobs/${jobs.ok}/logs`);
  await logs.page.locator('.log-line', { hasText: 'parse-amount first record' }).first().waitFor();
  await logs.page.close();
  assert.deepEqual(logs.errors, [], 'no console errors on the logs page');
});

test('after a restart of the service the job list, details, exceptions and logs are still there', async () => {
  await service.stop('SIGKILL');
  service = await serve();
  services.push(service);
  const overview = await get(service, '/jobs/overview');
  const states = Object.fromEntries((overview.jobs as Doc[]).map((j) => [j.jid, j.state]));
  assert.deepEqual(states, { [jobs.ok]: 'FINISHED', [jobs.failing]: 'FAILED', [jobs.hold]: 'CANCELED' });
  const details = await get(service, `/jobs/${jobs.ok}`);
  assert.equal(details.state, 'FINISHED');
  assertCountsEqualInput(details);
  const exceptions = await get(service, `/jobs/${jobs.failing}/exceptions`);
  assert.equal(exceptions.exceptionHistory.entries[0].operator, 'parse-amount');
  assertUserLogs(await logLines(service, jobs.ok), jobs.ok);
});

test('savepoint, rescale and a service restart: the job runs on at the new parallelism, its output exactly once', async () => {
  const count = 6000;
  const out = join(dir, 'rated-out');
  const r = await service.api('POST', '/jobs', {
    file: ratedJob,
    args: ['--count', String(count), '--rate', '300', '--output', out],
    parallelism: 2,
    checkpointDir: join(dir, 'rated-ck'),
    checkpointInterval: 200,
  });
  assert.equal(r.status, 200, r.text);
  const jid = r.json.jobid as string;
  await until(async () => {
    const c = await service.api('GET', `/jobs/${jid}/checkpoints`);
    return c.status === 200 && c.json.counts.completed > 0 ? true : undefined;
  }, 'a completed checkpoint');

  const sp = await service.api('POST', `/jobs/${jid}/savepoints`, {});
  assert.equal(sp.status, 202, sp.text);
  const done = await until(async () => {
    const s = await get(service, `/jobs/${jid}/savepoints/${sp.json['request-id']}`);
    return s.status.id === 'COMPLETED' ? s : undefined;
  }, 'the savepoint');
  const location = done.operation.location as string;
  assert.ok(location !== undefined, JSON.stringify(done));
  assert.ok(existsSync(join(location, '_metadata')), `${location}/_metadata`);

  const rescale = await service.api('PUT', `/jobs/${jid}/resource-requirements`, { parallelism: 3 });
  assert.equal(rescale.status, 202, `${rescale.text} (the job must still run: it takes ${count / 300} s)`);
  // The job runs again under the same id, at parallelism 3, and goes on to the end.
  await until(async () => {
    const d = await service.api('GET', `/jobs/${jid}`);
    const parallelism = (d.json?.vertices as Doc[] | undefined)?.map((v) => v.parallelism) ?? [];
    if (['FINISHED', 'FAILED', 'CANCELED'].includes(d.json?.state)) {
      assert.fail(`the job ended ${d.json.state} instead of running again at parallelism 3: ${service.stderr()}`);
    }
    return d.json?.state === 'RUNNING' && parallelism.includes(3) ? true : undefined;
  }, 'the rescaled job to run at parallelism 3');

  // A restarted service resumes the job from its checkpoints (SIGTERM stops the service and its job processes).
  assert.equal(await service.stop('SIGTERM'), 0, service.stderr());
  service = await serve();
  services.push(service);
  assert.match(service.stderr(), new RegExp(`resuming job ${jid}`));
  assert.equal((await untilState(service, jid, ['FINISHED', 'FAILED', 'CANCELED'])).state, 'FINISHED');
  const config = await get(service, `/jobs/${jid}/config`);
  assert.equal(config['execution-config']['job-parallelism'], 3);
  const got = committedLines(out);
  const want = ratedReference(count);
  assert.deepEqual(notCovered(got, want), [], 'no output twice or wrong');
  assert.deepEqual(notCovered(want, got), [], 'no output lost');
});

test('stop over REST: the job stops with a savepoint and ends FINISHED', async () => {
  const r = await service.api('POST', '/jobs', {
    file: holdJob,
    args: [String(N)],
    parallelism: 2,
    checkpointDir: join(dir, 'hold-ck'),
    checkpointInterval: 200,
  });
  assert.equal(r.status, 200, r.text);
  const jid = r.json.jobid as string;
  await until(async () => {
    const c = await service.api('GET', `/jobs/${jid}/checkpoints`);
    return c.status === 200 && c.json.counts.completed > 0 ? true : undefined;
  }, 'a completed checkpoint');
  const stop = await service.api('POST', `/jobs/${jid}/stop`, {});
  assert.equal(stop.status, 202, stop.text);
  const done = await until(async () => {
    const s = await get(service, `/jobs/${jid}/savepoints/${stop.json['request-id']}`);
    return s.status.id === 'COMPLETED' ? s : undefined;
  }, 'the savepoint of the stop');
  assert.ok(existsSync(join(done.operation.location, '_metadata')), JSON.stringify(done));
  assert.equal((await untilState(service, jid, ['FINISHED', 'FAILED', 'CANCELED'])).state, 'FINISHED');
});

test('sluice serve refuses a non-loopback bind without a token', async () => {
  await assert.rejects(
    startService(['--host', '0.0.0.0', '--port', '0', '--data-dir', join(dir, 'data-refused')]),
    /exited with 2: .*binding 0\.0\.0\.0 needs a token/s,
  );
});

test('sluice run --web --web-linger serves the job documents and Prometheus text, and ends on SIGTERM', async () => {
  const portFile = join(dir, 'run-web-port');
  const logFile = join(dir, 'run-logs.jsonl');
  const run = new SluiceProcess([
    'run',
    ordersJob,
    '-p',
    '2',
    '--web',
    '0',
    '--web-port-file',
    portFile,
    '--log-file',
    logFile,
    '--web-linger',
    '--',
    input,
    join(dir, 'run-out.jsonl'),
  ]);
  processes.push(run);
  assert.ok(await run.waitUntil(() => existsSync(portFile), 120_000), `port file: ${run.stderr}`);
  const base = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
  const json = async (path: string) => {
    const res = await fetch(base + path);
    assert.equal(res.status, 200, `GET ${path}`);
    return (await res.json()) as Doc;
  };
  const first = (await json('/jobs/overview')).jobs[0];
  assert.ok(['CREATED', 'RUNNING', 'FINISHED'].includes(first.state), first.state);
  const jid = first.jid as string;
  assert.match(run.stderr, new RegExp(`web: ${base} \\(job ${jid}\\)`));
  await until(async () => ((await json(`/jobs/${jid}`)).state === 'FINISHED' ? true : undefined), 'FINISHED');
  assert.ok(await run.waitUntil(() => run.stderr.includes('still serving'), 120_000), run.stderr);

  assertCountsEqualInput(await json(`/jobs/${jid}`));
  const text = await (await fetch(`${base}/metrics`)).text();
  const total = (name: string) =>
    [...text.matchAll(new RegExp(`^${name}\\{[^}]*job_id="${jid}"[^}]*\\} (\\d+)$`, 'gm'))].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  assert.equal(total('sluice_task_numRecordsIn_total'), 2 * N, 'parse-amount and the sink each read N');
  assert.match(text, /# TYPE sluice_task_numRecordsIn_total counter/);
  const logs = (await json(`/jobs/${jid}/logs?limit=1000`)).lines as Doc[];
  assert.ok(logs.some((l) => l.msg === 'parse-amount first record'));

  run.child.kill('SIGTERM');
  const exit = await run.exited;
  assert.equal(exit.code, 0, exit.stderr);
});
