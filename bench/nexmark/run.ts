/**
 * The Nexmark benchmark runner: runs each query on generated events in its own process, at each parallelism asked
 * for, and prints per query and parallelism: events/s and events/s per core over the running phase (CPU time of
 * the process, all threads, from the moment every subtask is open to the end), wall and start-up seconds, peak
 * memory, and for the later parallelisms the speed-up over the first and the per-core efficiency (events per
 * CPU-second relative to the first). Results go to a discard sink; the number of rows each run wrote is compared
 * between parallelisms.
 *
 *   npm run bench:nexmark -- [--events 5000000] [--queries q0,q5] [--parallelism 1,2] [--seed S] [--output FILE]
 *       [--results DIR]
 *
 * With --results, each run's result rows are written as JSON Lines to DIR/<query>-p<parallelism>.jsonl (the file
 * sink instead of the discard sink), to check the answers.
 *
 * With --sql, runs the benchmark's SQL queries next to these jobs instead (see run-sql.ts).
 *
 * With --output, the figures are also written as a JSON array of
 * {"query","parallelism","events","seconds","startupSeconds","eventsPerSecond","eventsPerCoreSecond","peakRssBytes","sinkRecords"}.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
    events: { type: 'string', default: '5000000' },
    queries: { type: 'string', default: ALL_QUERIES.join(',') },
    parallelism: { type: 'string', default: '1,2' },
    seed: { type: 'string', default: '1' },
    output: { type: 'string' },
    results: { type: 'string' },
  },
});
if (values.results !== undefined) mkdirSync(values.results, { recursive: true });
/** Queries whose rows depend on processing time, so runs may differ in them. */
const PROCESSING_TIME_QUERIES = new Set(['q12']);
const queries = values.queries.split(',').map((q) => q.trim());
for (const q of queries) if (!ALL_QUERIES.includes(q)) throw new Error(`unknown query '${q}' (known: ${ALL_QUERIES})`);
const parallelisms = values.parallelism.split(',').map((p) => {
  const n = Number(p.trim());
  if (!Number.isInteger(n) || n < 1) throw new Error(`--parallelism: expected integers >= 1, got '${p}'`);
  return n;
});

/** One query at one parallelism. Rates are over the running phase (every subtask open), as the reference measures. */
interface Figures {
  query: string;
  parallelism: number;
  events: number;
  /** Wall seconds of the whole run, start-up included, and of the start-up alone. */
  seconds: number;
  startupSeconds: number;
  eventsPerSecond: number;
  eventsPerCoreSecond: number;
  peakRssBytes: number;
  sinkRecords: number;
}

const measure = fileURLToPath(new URL('./measure.ts', import.meta.url));
const rows: Figures[] = [];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const base = parallelisms[0]!;
console.log(
  `Nexmark: ${fmt(Number(values.events))} events, seed ${values.seed}, parallelism ${parallelisms.join(' and ')}` +
    ' (rates over the running phase; start-up shown apart)\n' +
    'query  p     events/s   events/s/core   wall s  start-up s   peak RSS MiB' +
    (parallelisms.length > 1 ? `   speed-up vs p=${base}   per-core efficiency` : ''),
);
for (const query of queries) {
  // The parallelisms of one query run back to back, so they see the same load on the machine.
  for (const parallelism of parallelisms) {
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
        String(parallelism),
        '--seed',
        values.seed,
        ...(values.results === undefined ? [] : ['--output', join(values.results, `${query}-p${parallelism}.jsonl`)]),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
    );
    const m = JSON.parse(out.trim().split('\n').pop()!) as {
      events: number;
      seconds: number;
      startupSeconds: number;
      runningSeconds: number;
      runningCpuSeconds: number;
      peakRssBytes: number;
      sinkRecords: number;
    };
    const row: Figures = {
      query,
      parallelism,
      events: m.events,
      seconds: m.seconds,
      startupSeconds: m.startupSeconds,
      eventsPerSecond: m.events / m.runningSeconds,
      eventsPerCoreSecond: m.events / m.runningCpuSeconds,
      peakRssBytes: m.peakRssBytes,
      sinkRecords: m.sinkRecords,
    };
    rows.push(row);
    const first = rows.find((r) => r.query === query && r.parallelism === base)!;
    const comparison =
      parallelism === base
        ? ''
        : `${`${(row.eventsPerSecond / first.eventsPerSecond).toFixed(2)}×`.padStart(22)}` +
          `${`${Math.round((100 * row.eventsPerCoreSecond) / first.eventsPerCoreSecond)} %`.padStart(22)}`;
    if (row.sinkRecords !== first.sinkRecords && !PROCESSING_TIME_QUERIES.has(query))
      console.error(`${query}: p=${parallelism} wrote ${row.sinkRecords} rows, p=${base} ${first.sinkRecords}`);
    console.log(
      `${query.padEnd(6)}${String(parallelism).padStart(2)}${fmt(row.eventsPerSecond).padStart(13)}` +
        `${fmt(row.eventsPerCoreSecond).padStart(16)}${m.seconds.toFixed(2).padStart(9)}` +
        `${m.startupSeconds.toFixed(2).padStart(12)}${(m.peakRssBytes / 2 ** 20).toFixed(0).padStart(15)}${comparison}`,
    );
  }
}
if (values.output !== undefined) writeFileSync(values.output, `${JSON.stringify(rows, null, 2)}\n`);
