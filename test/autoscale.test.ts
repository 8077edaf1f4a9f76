/**
 * `sluice run --autoscale` end to end: a rate-limited source feeding a keyed operator that blocks ~4 ms per record
 * (≈ 240 records per busy second per subtask). The autoscaler must find a parallelism that keeps up within two
 * decisions from p=1 and then hold still; with a hot key it must see that more parallelism cannot help and say so.
 * The output (exactly-once part files) must hold every record exactly once, as a run without autoscaling does.
 * Batches keep their default size: the slow operator takes them in slices (StepPace), or each batch would hold its
 * thread — and the autoscaler's samples — for seconds.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { committedLines, describeExit, root, runSluice } from './fixtures/ckpt-support.js';

const job = join(root, 'test/fixtures/autoscale-job.ts');
const work = mkdtempSync(join(tmpdir(), 'sluice-autoscale-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface VertexDoc {
  name: string;
  parallelism: number;
  'proposed-parallelism': number;
  'needed-utilization': number | null;
  reason: string;
}
interface DecisionDoc {
  number: number;
  action: string;
  bottleneck: { name: string; reason: string } | null;
  vertices: VertexDoc[];
}

/** The decisions the job wrote to its job.json, oldest first. */
function decisionsOf(jobDir: string): DecisionDoc[] {
  const doc = JSON.parse(readFileSync(join(jobDir, 'job.json'), 'utf8')) as {
    resources: Record<string, { decisions: DecisionDoc[] }>;
  };
  return [...doc.resources['/autoscaler']!.decisions].reverse();
}

const slowOf = (d: DecisionDoc) => d.vertices.find((v) => v.name.startsWith('slow'))!;

/** The job's records as `key,id` lines, sorted: what any correct run writes. */
function reference(count: number, hot: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`${(i * 0.6180339887) % 1 < hot ? 0 : 1 + (i % 97)},${i}`);
  return lines.sort();
}

function run(name: string, rate: number, count: number, hot: number, extra: string[] = []) {
  const out = join(work, `${name}-out`);
  const jobDir = join(work, `${name}-job`);
  const args = [
    'run',
    job,
    '--autoscale',
    '--autoscale-window',
    '1000',
    '--autoscale-stabilization',
    '500',
    '--job-dir',
    jobDir,
    '--no-progress',
    ...extra,
    '--',
    String(rate),
    String(count),
    '4',
    out,
    String(hot),
  ];
  return { out, jobDir, exit: runSluice(args) };
}

test('DS2 reaches a parallelism that keeps up in at most two decisions and holds it', async () => {
  // 36 s at 500/s. A decision comes about every 2 s (each waits for a fresh 1 s window), so the ten checked after the
  // first rescale leave a margin for a slow restart on a loaded machine (26 s once gave only nine).
  const count = 18000;
  const { out, jobDir, exit } = run('uniform', 500, count, 0);
  const e = await exit;
  assert.equal(e.code, 0, describeExit(e));
  const decisions = decisionsOf(jobDir);
  const firstRescale = decisions.findIndex((d) => d.action === 'rescale');
  assert.ok(firstRescale >= 0 && firstRescale < 2, `no rescale in the first two decisions:\n${e.stderr}`);
  const chosen = slowOf(decisions[firstRescale]!)['proposed-parallelism'];
  assert.match(decisions[firstRescale]!.bottleneck?.name ?? '', /^slow/, 'the decision names the slow operator');
  assert.match(e.stderr, /autoscaler: {3}bottleneck: slow/);
  // 500 records/s at ~240 per busy second need at least 3 subtasks (2 would be 104 % busy).
  assert.ok(chosen >= 3, `chose p=${chosen}\n${e.stderr}`);
  const later = decisions.slice(firstRescale + 1);
  assert.ok(later.length >= 10, `only ${later.length} decisions after the rescale:\n${e.stderr}`);
  for (const d of later) {
    assert.equal(d.action, 'keep', `decision ${d.number} after the rescale: ${JSON.stringify(d)}`);
    const v = slowOf(d);
    assert.equal(v.parallelism, chosen);
    assert.ok((v['needed-utilization'] ?? 0) <= 1, `does not keep up at p=${chosen}: ${v.reason}`);
  }
  assert.deepEqual(committedLines(out), reference(count, 0));
});

test('a hot key: the autoscaler does not add parallelism that cannot help, and says why', async () => {
  const count = 3200;
  const { out, jobDir, exit } = run('hot', 400, count, 0.9);
  const e = await exit;
  assert.equal(e.code, 0, describeExit(e));
  const decisions = decisionsOf(jobDir);
  // Once the bounded generator has scheduled its last record, its target rate is only its backlog: decisions then
  // may keep p=1 for that reason. Every decision taken while the hot key overloads the operator must name it.
  const overloaded = decisions.filter((d) => (slowOf(d)['needed-utilization'] ?? 0) > 1);
  assert.ok(overloaded.length >= 3, e.stderr);
  for (const d of decisions) assert.equal(d.action, 'keep', JSON.stringify(d));
  for (const d of overloaded) assert.match(slowOf(d).reason, /hot key/, slowOf(d).reason);
  assert.match(e.stderr, /key group \d+ carries 9\d %/);
  assert.deepEqual(committedLines(out), reference(count, 0.9));
});

test('autoscaler options are checked before the job starts', async () => {
  const e = await runSluice(['run', job, '--autoscale-window', '2000', '--', '1', '1', '1', join(work, 'x')]);
  assert.equal(e.code, 2, describeExit(e));
  assert.match(e.stderr, /need --autoscale/);
  const f = await runSluice([
    'run',
    job,
    '--autoscale',
    '--autoscale-window',
    '10',
    '--',
    '1',
    '1',
    '1',
    join(work, 'y'),
  ]);
  assert.equal(f.code, 2, describeExit(f));
  assert.match(f.stderr, /metrics window must be at least 1 s/);
});
