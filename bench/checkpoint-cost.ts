import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuUsage } from 'node:process';
import { fileURLToPath } from 'node:url';
import { type CheckpointStats, runJob } from '../src/index.js';

/**
 * What checkpoints cost the keyed-window benchmark (keyBy + 60 s tumbling count, 100k keys, p=2), in CPU seconds
 * (all threads) rather than wall time, so that it can be measured on a loaded machine. Runs without and with a
 * checkpoint every `interval` ms, interleaved, `rounds` times; start-up CPU (a 1000-record run of the same job) is
 * subtracted. Usage: tsx bench/checkpoint-cost.ts [rounds] [records] [interval]
 */
const rounds = Number(process.argv[2] ?? 3);
const records = Number(process.argv[3] ?? 10_000_000);
const interval = Number(process.argv[4] ?? 1000);
const job = fileURLToPath(new URL('keyed-window-count.ts', import.meta.url));

async function cpuOf(count: number, checkpointMs: number | undefined): Promise<[number, CheckpointStats[]]> {
  const stats: CheckpointStats[] = [];
  const dir = checkpointMs === undefined ? undefined : mkdtempSync(join(tmpdir(), 'sluice-ck-cost-'));
  const c0 = cpuUsage();
  await runJob(job, {
    args: [String(count), '100000'],
    config: { parallelism: 2 },
    checkpointDir: dir,
    checkpointIntervalMs: checkpointMs,
    onCheckpoint: (s) => stats.push(s),
  });
  const c = cpuUsage(c0);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  return [(c.user + c.system) / 1e6, stats];
}

const startup = (await cpuOf(1000, undefined))[0];
const without: number[] = [];
const withCk: number[] = [];
for (let r = 0; r < rounds; r++) {
  without.push((await cpuOf(records, undefined))[0] - startup);
  const [cpu, stats] = await cpuOf(records, interval);
  withCk.push(cpu - startup);
  const d = stats.map((s) => s.durationMs).sort((a, b) => a - b);
  console.log(
    `round ${r + 1}: without ${without.at(-1)!.toFixed(2)} s CPU, with ${withCk.at(-1)!.toFixed(2)} s CPU; ` +
      `${stats.length} checkpoints, median ${d[d.length >> 1]} ms, largest ${(Math.max(...stats.map((s) => s.bytes)) / 2 ** 20).toFixed(1)} MiB`,
  );
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ns = (s: number) => ((s / records) * 1e9).toFixed(0);
console.log(
  `start-up ${startup.toFixed(2)} s CPU; per record: without ${ns(mean(without))} ns CPU, with ${ns(mean(withCk))} ns CPU ` +
    `(checkpoints cost ${((mean(withCk) / mean(without) - 1) * 100).toFixed(1)} %)`,
);
