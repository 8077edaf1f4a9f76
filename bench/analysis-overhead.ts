/**
 * What recording the activity trace costs (`sluice analyze`, `RunOptions.analysis`): runs a light keyed job (the
 * `slow` fixture with no work per record, so per-step costs show) with analysis off and on, interleaved, and prints
 * CPU nanoseconds per record of each run (process.cpuUsage covers every thread).
 *
 *   npx tsx bench/analysis-overhead.ts [--records 2000000] [--parallelism 2] [--rounds 3]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runJob } from '../src/index.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '2000000' },
    parallelism: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
  },
});
const records = Number(values.records);
const job = fileURLToPath(new URL('../test/fixtures/bottleneck-job.ts', import.meta.url));
console.log('round  analysis  CPU ns/record');
for (let round = 1; round <= Number(values.rounds); round++) {
  for (const on of [false, true]) {
    const before = process.cpuUsage();
    await runJob(job, {
      args: ['slow', String(records), '0'],
      config: { parallelism: Number(values.parallelism) },
      ...(on ? { analysis: { windowMs: 1000, onReport: () => {} } } : {}),
    });
    const used = process.cpuUsage(before);
    const ns = ((used.user + used.system) * 1000) / records;
    console.log(`${String(round).padStart(5)}  ${(on ? 'on' : 'off').padStart(8)}  ${ns.toFixed(0).padStart(13)}`);
  }
}
