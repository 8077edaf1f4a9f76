import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuUsage } from 'node:process';
import { fileURLToPath } from 'node:url';
import { type CheckpointStats, runJob } from '../src/index.js';

/**
 * Runs the fixed benchmark workloads and prints records/s, CPU time and peak RSS (sampled).
 * Usage: npm run bench [-- name-filter]
 */
interface Workload {
  name: string;
  file: string;
  args: string[];
  parallelism: number;
  records: number;
  /** Checkpoint interval, ms: run with exactly-once checkpoints into a temporary directory. */
  checkpointMs?: number;
}

const workloads: Workload[] = [
  { name: 'stateless chain, p=1', file: 'stateless-chain.ts', args: ['20000000'], parallelism: 1, records: 20_000_000 },
  {
    name: 'keyBy + 60s tumbling count, 100k keys, p=1',
    file: 'keyed-window-count.ts',
    args: ['5000000', '100000'],
    parallelism: 1,
    records: 5_000_000,
  },
  {
    name: 'keyBy + 60s tumbling count, 100k keys, p=2',
    file: 'keyed-window-count.ts',
    args: ['10000000', '100000'],
    parallelism: 2,
    records: 10_000_000,
  },
  {
    name: 'keyBy + 60s tumbling count, 100k keys, p=2, checkpoint every 1 s',
    file: 'keyed-window-count.ts',
    args: ['10000000', '100000'],
    parallelism: 2,
    records: 10_000_000,
    checkpointMs: 1000,
  },
  {
    name: 'window-counts example (JSON Lines file, 1000 users), p=1',
    file: 'window-counts-file.ts',
    args: ['1000000'],
    parallelism: 1,
    records: 1_000_000,
  },
  {
    name: 'window-counts example (JSON Lines file, 1000 users), p=2',
    file: 'window-counts-file.ts',
    args: ['1000000'],
    parallelism: 2,
    records: 1_000_000,
  },
];

async function startupSeconds(w: Workload): Promise<number> {
  const t0 = performance.now();
  const args = [String(Math.min(1000, w.records)), ...w.args.slice(1)];
  await runJob(fileURLToPath(new URL(w.file, import.meta.url)), { args, config: { parallelism: w.parallelism } });
  return (performance.now() - t0) / 1000;
}

const filter = process.argv[2];
for (const w of workloads) {
  if (filter !== undefined && !w.name.includes(filter)) continue;
  // Fixed costs (worker start-up, TypeScript loading) measured on a tiny run of the same job.
  const startup = await startupSeconds(w);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const cpu0 = cpuUsage();
  const t0 = performance.now();
  const checkpoints: CheckpointStats[] = [];
  const checkpointDir = w.checkpointMs === undefined ? undefined : mkdtempSync(join(tmpdir(), 'sluice-bench-ck-'));
  await runJob(fileURLToPath(new URL(w.file, import.meta.url)), {
    args: w.args,
    config: { parallelism: w.parallelism },
    checkpointDir,
    checkpointIntervalMs: w.checkpointMs,
    onCheckpoint: (s) => checkpoints.push(s),
  });
  if (checkpointDir !== undefined) rmSync(checkpointDir, { recursive: true, force: true });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuUsage(cpu0);
  clearInterval(sampler);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const steady = w.records / Math.max(seconds - startup, 1e-3) / 1e6;
  console.log(
    `${w.name}: ${(w.records / seconds / 1e6).toFixed(2)} M records/s overall, ${steady.toFixed(2)} M records/s ` +
      `without ${startup.toFixed(2)} s start-up (${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU ` +
      `incl. workers, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB)`,
  );
  if (checkpoints.length > 0) {
    const durations = checkpoints.map((c) => c.durationMs).sort((a, b) => a - b);
    const sizes = checkpoints.map((c) => c.bytes);
    console.log(
      `  ${checkpoints.length} checkpoints: duration median ${durations[durations.length >> 1]} ms, max ${durations.at(-1)} ms; ` +
        `max alignment ${Math.max(...checkpoints.map((c) => c.alignmentMs))} ms; size up to ${(Math.max(...sizes) / 2 ** 20).toFixed(1)} MiB`,
    );
  }
}
