/**
 * The Nexmark benchmark runner: runs each query on generated events in its own process and prints, per query,
 * events, wall time, events/s, events/s per core (CPU time of the process, all threads) and peak memory.
 *
 *   npm run bench:nexmark -- --events 10000000 --queries q0,q5 --parallelism 2 [--seed S] [--output FILE]
 *
 * With --sql, runs the benchmark's SQL queries next to these jobs instead (see run-sql.ts).
 *
 * With --output, the figures are also written as a JSON array of
 * {"query","events","seconds","eventsPerSecond","eventsPerCoreSecond","peakRssBytes"}.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NEXMARK_QUERIES as ALL_QUERIES } from './queries.js';

// `--sql`: the SQL queries next to these jobs (run-sql.ts has its own options).
if (process.argv.includes('--sql')) {
  await import('./run-sql.js');
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: ALL_QUERIES.join(',') },
    parallelism: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    output: { type: 'string' },
  },
});
const queries = values.queries.split(',').map((q) => q.trim());
for (const q of queries) if (!ALL_QUERIES.includes(q)) throw new Error(`unknown query '${q}' (known: ${ALL_QUERIES})`);

interface Figures {
  query: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  eventsPerCoreSecond: number;
  peakRssBytes: number;
}

const measure = fileURLToPath(new URL('./measure.ts', import.meta.url));
const rows: Figures[] = [];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(
  `Nexmark: ${fmt(Number(values.events))} events, seed ${values.seed}, parallelism ${values.parallelism}\n` +
    'query   events/s    events/s/core   wall s   CPU s   peak RSS MiB',
);
for (const query of queries) {
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      measure,
      query,
      '--events',
      values.events,
      '--parallelism',
      values.parallelism,
      '--seed',
      values.seed,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  const m = JSON.parse(out.trim().split('\n').pop()!) as {
    events: number;
    seconds: number;
    cpuSeconds: number;
    peakRssBytes: number;
  };
  const row: Figures = {
    query,
    events: m.events,
    seconds: m.seconds,
    eventsPerSecond: m.events / m.seconds,
    eventsPerCoreSecond: m.events / m.cpuSeconds,
    peakRssBytes: m.peakRssBytes,
  };
  rows.push(row);
  console.log(
    `${query.padEnd(6)}${fmt(row.eventsPerSecond).padStart(11)}${fmt(row.eventsPerCoreSecond).padStart(16)}` +
      `${m.seconds.toFixed(2).padStart(9)}${m.cpuSeconds.toFixed(2).padStart(8)}${(m.peakRssBytes / 2 ** 20).toFixed(0).padStart(15)}`,
  );
}
if (values.output !== undefined) writeFileSync(values.output, `${JSON.stringify(rows, null, 2)}\n`);
