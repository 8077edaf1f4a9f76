/**
 * How fast each autoscaling policy makes a slow job keep up: a rate-limited source feeding a keyed operator that
 * blocks ~4 ms per record (≈ 240 records per busy second per subtask; test/fixtures/autoscale-job.ts), started at
 * p=1, run with `--autoscale-policy ds2` and `threshold` (one more subtask per decision while busy > 80 %).
 * Prints, per policy and rate: decisions and seconds until the parallelism settles (for DS2: at a parallelism whose
 * needed utilisation stays ≤ 100 %), the rescales on the way, and the parallelism it ends at.
 *
 *   npx tsx bench/autoscale-convergence.ts [--rates 500,1000] [--seconds 40] [--window 2000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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

/** One decision as the log shows it, with when its line arrived (ms after the job was started). */
interface Decision {
  at: number;
  action: string;
  /** The slow operator's parallelism and the utilisation its target rate needs there. */
  p: number;
  needs: number;
}

/** Runs the fixture with `policy` and reads the autoscaler's decisions from its log as they are printed. */
async function run(policy: string, rate: number): Promise<Decision[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-autoscale-bench-'));
  const args = [
    join(root, 'bin/sluice.mjs'),
    'run',
    join(root, 'test/fixtures/autoscale-job.ts'),
    '--autoscale',
    '--autoscale-policy',
    policy,
    '--autoscale-window',
    values.window,
    '--no-progress',
    '--',
    String(rate),
    String(rate * seconds),
    '4',
    join(dir, 'out'),
  ];
  const started = Date.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const decisions: Decision[] = [];
  let current: Decision | undefined;
  for await (const line of createInterface({ input: child.stderr })) {
    const head = /^autoscaler: decision \d+: (\w+)/.exec(line);
    if (head !== null) {
      current = { at: Date.now() - started, action: head[1]!, p: 0, needs: 0 };
      decisions.push(current);
      continue;
    }
    const slow = /^autoscaler: {3}slow[^(]*\(p=(\d+)\): .*?(?:needs (\d+) % busy|(\d+) % busy)/.exec(line);
    if (slow !== null && current !== undefined) {
      current.p = Number(slow[1]);
      current.needs = Number(slow[2] ?? slow[3]) / 100;
    }
  }
  const code = await new Promise((resolve) => child.on('close', resolve));
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`${policy} at ${rate}/s exited with ${code}`);
  return decisions;
}

console.log('policy     rate/s  decisions-to-settle  seconds-to-settle  rescales  final-p  stable-for');
for (const rate of rates) {
  for (const policy of ['ds2', 'threshold']) {
    const decisions = await run(policy, rate);
    // Settled: a decision that keeps the parallelism — for DS2 also one at which the operator's target rate needs at
    // most 100 % busy — and every later decision the same. (The threshold policy prints busy time, not needs; at
    // its maximum parallelism it keeps whatever it sees.)
    const keeps = (d: Decision) => d.action === 'keep' && (policy === 'threshold' || d.needs <= 1);
    let from = decisions.length;
    while (from > 0 && keeps(decisions[from - 1]!)) from--;
    const settled = decisions[from];
    const rescales = decisions.slice(0, from).filter((d) => d.action === 'rescale').length;
    console.log(
      [
        policy.padEnd(10),
        String(rate).padStart(6),
        String(settled === undefined ? 'never' : from + 1).padStart(21),
        (settled === undefined ? '-' : (settled.at / 1000).toFixed(1)).padStart(19),
        String(rescales).padStart(9),
        (settled === undefined ? '-' : String(settled.p)).padStart(8),
        `${decisions.length - from} decisions`.padStart(13),
      ].join(' '),
    );
  }
}
