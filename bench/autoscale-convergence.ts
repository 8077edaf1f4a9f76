/**
 * How fast each autoscaling policy makes a slow job keep up: a rate-limited source feeding a keyed operator that
 * blocks ~4 ms per record (≈ 240 records per busy second per subtask; test/fixtures/autoscale-job.ts), started at
 * p=1, run with `--autoscale-policy ds2` and `threshold` (one more subtask per decision while busy > 80 %).
 * Prints, per policy and rate: decisions and seconds until the operator keeps up (the first decision after which
 * the utilisation its target rate needs stays ≤ 100 %), the rescales on the way, and the parallelism it ends at.
 *
 *   npx tsx bench/autoscale-convergence.ts [--rates 500,1000] [--seconds 40] [--window 2000]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '500,1000' },
    seconds: { type: 'string', default: '40' },
    window: { type: 'string', default: '2000' },
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);

interface Decision {
  number: number;
  time: number;
  action: string;
  vertices: {
    name: string;
    parallelism: number;
    'proposed-parallelism': number;
    'needed-utilization': number | null;
  }[];
}

console.log('policy     rate/s  decisions-to-keep-up  seconds-to-keep-up  rescales  final-p  stable-after');
for (const rate of rates) {
  for (const policy of ['ds2', 'threshold']) {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-autoscale-bench-'));
    const started = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        join(root, 'bin/sluice.mjs'),
        'run',
        join(root, 'test/fixtures/autoscale-job.ts'),
        '--autoscale',
        '--autoscale-policy',
        policy,
        '--autoscale-window',
        values.window,
        '--autoscale-stabilization',
        '1000',
        '--batch-size',
        '8',
        '--job-dir',
        join(dir, 'job'),
        '--no-progress',
        '--',
        String(rate),
        String(rate * seconds),
        '4',
        join(dir, 'out'),
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`${policy} at ${rate}/s failed:\n${r.stderr}`);
    const doc = JSON.parse(readFileSync(join(dir, 'job', 'job.json'), 'utf8'));
    const decisions = [...(doc.resources['/autoscaler'].decisions as Decision[])].reverse();
    const slow = (d: Decision) => d.vertices.find((v) => v.name.startsWith('slow'))!;
    const keeps = (d: Decision) => (slow(d)['needed-utilization'] ?? 0) <= 1 && d.action === 'keep';
    // The first decision from which on every decision keeps (the operator keeps up at its parallelism).
    let from = decisions.length;
    while (from > 0 && keeps(decisions[from - 1]!)) from--;
    const settled = decisions[from];
    const rescales = decisions.filter((d) => d.action === 'rescale').length;
    const finalP = settled === undefined ? '-' : String(slow(settled).parallelism);
    console.log(
      [
        policy.padEnd(10),
        String(rate).padStart(6),
        String(settled === undefined ? 'never' : from).padStart(21),
        (settled === undefined ? '-' : ((settled.time - started) / 1000).toFixed(1)).padStart(19),
        String(rescales).padStart(9),
        finalP.padStart(8),
        `${decisions.length - from} decisions`.padStart(13),
      ].join(' '),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}
