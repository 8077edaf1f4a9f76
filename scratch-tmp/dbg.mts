import { runJob } from '/work/wt-cpath/src/index.js';
import { TraceCollector } from '/work/wt-cpath/src/runtime/analysis/trace-collector.js';
const orig = TraceCollector.prototype.add;
const stats: Record<string, number> = {};
TraceCollector.prototype.add = function (t) {
  for (let i = 0; i < t.count; i++) {
    const k = `th${t.thread} kind${t.kind[i]} v${t.vertex[i]}/${t.subtask[i]} c${t.cause[i]}`;
    stats[k] = (stats[k] ?? 0) + (t.t1[i]! - t.t0[i]!);
  }
  return orig.call(this, t);
};
const [scenario, p, records, iters] = process.argv.slice(2);
await runJob('/work/wt-cpath/test/fixtures/bottleneck-job.ts', {
  args: [scenario!, records!, iters!],
  config: { parallelism: Number(p) },
  analysis: { windowMs: 1000, onReport: (r) => console.log(r.final, JSON.stringify(r.vertices.map((v) => [v.name, v.criticalPct.toFixed(1), v.hotSubtask]))) },
});
console.log(Object.entries(stats).map(([k, v]) => `${k}: ${v.toFixed(0)}`).join('\n'));
