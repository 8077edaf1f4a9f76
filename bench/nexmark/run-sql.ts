/**
 * `npm run bench:nexmark -- --sql`: the Nexmark SQL queries (the benchmark's own .sql files through Sluice's SQL
 * front end) next to the hand-written DataStream jobs of this folder on the same events, per query and parallelism.
 * Each run is a fresh process; runs alternate SQL / DataStream and repeat (--repeat, default 3); the median is
 * printed. The machine may be shared, so the ratio is taken on events per CPU-second of the process (all threads),
 * which other processes' load disturbs far less than wall time; wall-time rates are printed as well.
 *
 *   npm run bench:nexmark -- --sql [--events 1000000] [--queries q0,q5] [--parallelism 1,2] [--repeat 3]
 *       [--tps 10000000] [--source generator | --source file --input events.jsonl] [--output FILE]
 *
 * Generator: the SQL reads the reference's ddl_gen.sql ('nexmark' connector, TPS / EVENTS_NUM / proportions
 * 1/3/46, seed 0) and the DataStream job gets the same events (--seed 0 --event-rate TPS). File: both read the
 * JSON Lines file (the SQL through the Flink peer's filesystem json table).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NEXMARK_QUERIES } from './queries.js';

const { values } = parseArgs({
  options: {
    sql: { type: 'boolean' },
    events: { type: 'string', default: '1000000' },
    queries: { type: 'string' },
    parallelism: { type: 'string', default: '1,2' },
    repeat: { type: 'string', default: '3' },
    tps: { type: 'string', default: '10000000' },
    source: { type: 'string', default: 'generator' },
    input: { type: 'string' },
    'sql-dir': { type: 'string', default: process.env.NEXMARK_SQL_DIR ?? '/work/shared/nexmark-sql' },
    output: { type: 'string' },
  },
});
const sqlDir = values['sql-dir'];
const queries = (values.queries ?? NEXMARK_QUERIES.filter((q) => existsSync(`${sqlDir}/${q}.sql`)).join(','))
  .split(',')
  .map((q) => q.trim());
const parallelisms = values.parallelism.split(',').map(Number);
const repeat = Number(values.repeat);
if (values.source === 'file' && values.input === undefined) throw new Error('--source file needs --input FILE');

interface Run {
  seconds: number;
  cpuSeconds: number;
  sinkRecords: number;
}

function measure(script: string, args: string[]): Run {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...args],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as Run;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const events = Number(values.events);
console.log(
  `Nexmark SQL vs DataStream: ${fmt(events)} events (${values.source === 'file' ? values.input : `generator, TPS ${values.tps}, seed 0`}), ` +
    `median of ${repeat} runs; ev/s = wall, ev/cs = per CPU-second of the process\n` +
    'query  p   DS ev/s   DS ev/cs  SQL ev/s  SQL ev/cs  SQL/DS per core  rows DS / SQL',
);
const results: object[] = [];
for (const query of queries) {
  for (const p of parallelisms) {
    const common = ['--events', values.events, '--parallelism', String(p)];
    const dsArgs = [query, ...common, '--seed', '0'];
    const sqlArgs = [query, ...common, '--tps', values.tps, '--sql-dir', sqlDir];
    if (values.source === 'file') {
      dsArgs.push('--input', values.input!);
      sqlArgs.push('--source', 'file', '--input', values.input!);
    } else dsArgs.push('--event-rate', values.tps);
    const ds: Run[] = [];
    const sql: Run[] = [];
    for (let i = 0; i < repeat; i++) {
      sql.push(measure('./measure-sql.ts', sqlArgs));
      ds.push(measure('./measure.ts', dsArgs));
    }
    const figures = (runs: Run[]) => ({
      eventsPerSecond: median(runs.map((r) => events / r.seconds)),
      eventsPerCoreSecond: median(runs.map((r) => events / r.cpuSeconds)),
      rows: runs[0]!.sinkRecords,
    });
    const d = figures(ds);
    const s = figures(sql);
    const ratio = s.eventsPerCoreSecond / d.eventsPerCoreSecond;
    results.push({ query, parallelism: p, dataStream: d, sql: s, ratioPerCore: ratio });
    console.log(
      `${query.padEnd(5)}${String(p).padStart(3)}${fmt(d.eventsPerSecond).padStart(10)}${fmt(d.eventsPerCoreSecond).padStart(11)}` +
        `${fmt(s.eventsPerSecond).padStart(10)}${fmt(s.eventsPerCoreSecond).padStart(11)}${`${(ratio * 100).toFixed(0)} %`.padStart(17)}` +
        `  ${d.rows} / ${s.rows}`,
    );
  }
}
if (values.output !== undefined) writeFileSync(values.output, `${JSON.stringify(results, null, 2)}\n`);
