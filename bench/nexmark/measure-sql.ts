/**
 * Runs one Nexmark SQL query (the benchmark's own ddl_gen.sql / ddl_views.sql / qN.sql with its blackhole sink) in
 * this process, as `sluice sql` runs a script, and prints one JSON line with its figures: wall seconds, CPU seconds
 * of the whole process (all worker threads) and peak RSS. Called by run.ts --sql in a fresh process per run.
 *
 *   node --import tsx bench/nexmark/measure-sql.ts q5 --events 1000000 --parallelism 2 [--tps 10000000]
 *       [--source generator|file --input events.jsonl] [--sql-dir DIR]
 *
 * Generator source: the reference's ddl_gen.sql ('connector' = 'nexmark') with ${TPS}, ${EVENTS_NUM} and the
 * proportions 1 / 3 / 46 set as the reference's runner (and the Flink peer) sets them, seed 0 (the connector's
 * default). File source: the Flink peer's filesystem json table over the JSON Lines events of
 * `sluice nexmark generate`, with its one change to the auction view (expires as TIMESTAMP(3)).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as sluice from 'sluice';
import { sqlJobArgs } from '../../src/sql/sql-job.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: 'string', default: '1000000' },
    parallelism: { type: 'string', default: '1' },
    tps: { type: 'string', default: '10000000' },
    source: { type: 'string', default: 'generator' },
    input: { type: 'string' },
    'sql-dir': { type: 'string', default: process.env.NEXMARK_SQL_DIR ?? '/work/shared/nexmark-sql' },
    mode: { type: 'string', default: 'streaming' },
  },
});
const query = positionals[0];
if (query === undefined || !/^q\d+$/.test(query)) throw new Error('usage: measure-sql.ts qN [--events N] [...]');
const dir = values['sql-dir'];
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

/** The Flink peer's table over the JSON Lines events (times as BIGINT epoch ms, rowtime computed from them). */
export const FILE_SOURCE_DDL = (path: string) => `CREATE TABLE datagen (
    event_type INT,
    person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR,
        state VARCHAR, \`dateTime\` BIGINT, extra VARCHAR>,
    auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT,
        \`dateTime\` BIGINT, expires BIGINT, seller BIGINT, category BIGINT, extra VARCHAR>,
    bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
        \`dateTime\` BIGINT, extra VARCHAR>,
    \`dateTime\` AS CAST(TO_TIMESTAMP_LTZ(
        CASE WHEN event_type = 0 THEN person.\`dateTime\` WHEN event_type = 1 THEN auction.\`dateTime\` ELSE bid.\`dateTime\` END,
        3) AS TIMESTAMP(3)),
    WATERMARK FOR \`dateTime\` AS \`dateTime\` - INTERVAL '4' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${path}', 'format' = 'json')`;

let script: string;
if (values.source === 'file') {
  if (values.input === undefined) throw new Error('--source file needs --input events.jsonl');
  const views = read('ddl_views.sql').replace(
    'auction.expires,',
    'CAST(TO_TIMESTAMP_LTZ(auction.expires, 3) AS TIMESTAMP(3)) AS expires,',
  );
  script = `${FILE_SOURCE_DDL(resolve(values.input))};\n${views};\n${read(`${query}.sql`)}`;
} else {
  script = `${read('ddl_gen.sql')};\n${read('ddl_views.sql')};\n${read(`${query}.sql`)}`;
}
const vars = {
  TPS: values.tps,
  EVENTS_NUM: values.events,
  PERSON_PROPORTION: '1',
  AUCTION_PROPORTION: '3',
  BID_PROPORTION: '46',
  NEXMARK_TABLE: 'datagen',
};
const job = fileURLToPath(new URL('../../src/sql/sql-job.ts', import.meta.url));

// Watched by a job monitor, as `sluice sql` always is (the same as measure.ts for the DataStream jobs).
const Monitor = (sluice as Record<string, unknown>).JobMonitor as typeof sluice.JobMonitor | undefined;
const observer = Monitor === undefined ? undefined : new Monitor({ name: query });
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const result = await sluice.runJob(job, {
  args: sqlJobArgs({ sql: script, vars }),
  observer,
  config: { parallelism: Number(values.parallelism), runtimeMode: values.mode as 'streaming' | 'batch' },
});
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({
    query,
    events: Number(values.events),
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    sourceRecords: result.sourceRecords,
    sinkRecords: result.sinkRecords,
  })}\n`,
);
