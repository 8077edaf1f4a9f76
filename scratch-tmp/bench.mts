import { runJob } from '/work/wt-cpath/src/index.js';
const on = process.argv[2] === 'on';
const t = process.cpuUsage();
await runJob('/work/wt-cpath/test/fixtures/bottleneck-job.ts', {
  args: ['slow', '1000000', '0'],
  config: { parallelism: 1 },
  ...(on ? { analysis: { windowMs: 1000, onReport: () => {} } } : {}),
});
const u = process.cpuUsage(t);
console.log(process.argv[2], ((u.user + u.system) / 1e6).toFixed(2), 'cpu s per 1M records');
