import { runJob } from '/work/wt-cpath/src/index.js';
import { formatBottleneckReport } from '/work/wt-cpath/src/runtime/analysis/bottleneck-report.js';
const [scenario, p, records, iters, cap = '500'] = process.argv.slice(2);
const t = process.cpuUsage();
await runJob('/work/wt-cpath/test/fixtures/bottleneck-job.ts', {
  args: [scenario!, records!, iters!, cap],
  config: { parallelism: Number(p) },
  analysis: { windowMs: 1000, onReport: (r) => console.log(formatBottleneckReport(r)) },
});
console.log('cpu', process.cpuUsage(t));
