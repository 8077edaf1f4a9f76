/**
 * What a record costs when it crosses threads, for the scaling model in docs/PERFORMANCE.md. Runs the keyed job of
 * exchange-job.ts at each parallelism (one worker thread per subtask; above the core count the threads share cores)
 * and prints CPU nanoseconds per record over the running phase, the share of records that crossed threads, and the
 * extra CPU per crossing record relative to parallelism 1.
 *
 *   npx tsx bench/exchange-cost.ts [--records 4000000] [--parallelism 1,2,4] [--shapes numbers,bid]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runJob } from '../src/index.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '4000000' },
    parallelism: { type: 'string', default: '1,2,4' },
    shapes: { type: 'string', default: 'numbers,bid' },
  },
});
const records = Number(values.records);
const job = fileURLToPath(new URL('./exchange-job.ts', import.meta.url));
console.log('shape     p   CPU ns/record   crossing share   extra CPU ns per crossing record');
for (const shape of values.shapes.split(',')) {
  let base: number | undefined;
  for (const p of values.parallelism.split(',').map(Number)) {
    let started: NodeJS.CpuUsage | undefined;
    await runJob(job, {
      args: [String(records), shape],
      config: { parallelism: p },
      observer: { onAttemptStarted: () => (started ??= process.cpuUsage()) },
    });
    const cpu = process.cpuUsage(started);
    const perRecord = ((cpu.user + cpu.system) * 1000) / records;
    base ??= perRecord;
    const crossing = (p - 1) / p;
    const extra = crossing === 0 ? '' : ((perRecord - base) / crossing).toFixed(0);
    console.log(
      `${shape.padEnd(8)}${String(p).padStart(3)}${perRecord.toFixed(0).padStart(16)}` +
        `${crossing.toFixed(2).padStart(17)}${extra.padStart(35)}`,
    );
  }
}
