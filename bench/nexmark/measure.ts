/**
 * Runs one Nexmark query job in this process and prints one JSON line with its figures: wall seconds, CPU seconds
 * of the whole process (all worker threads), the same two for the running phase alone (from the moment every
 * subtask has opened to the end), start-up seconds and peak RSS. Called by run.ts in a fresh process per query, so peak
 * memory and CPU belong to that query alone.
 *
 *   node --import tsx bench/nexmark/measure.ts q5 --events 1000000 --parallelism 2 [--seed 1] [--output FILE]
 *       [--event-rate R] [--input events.jsonl] [--local-aggregation off]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as sluice from 'sluice';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: 'string', default: '1000000' },
    parallelism: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    mode: { type: 'string', default: 'streaming' },
    output: { type: 'string' },
    'event-rate': { type: 'string' },
    input: { type: 'string' },
    'local-aggregation': { type: 'string', default: 'on' },
  },
});
const query = positionals[0];
if (query === undefined || !/^q\d+$/.test(query))
  throw new Error('usage: measure.ts qN [--events N] [--parallelism P]');
const file = fileURLToPath(new URL(`./${query}.ts`, import.meta.url));
const args = ['--events', values.events, '--seed', values.seed];
if (values.output !== undefined) args.push('--output', values.output);
if (values['event-rate'] !== undefined) args.push('--event-rate', values['event-rate']);
if (values.input !== undefined) args.push('--input', values.input);

// Watched by a job monitor, as `sluice run` always is: the figures include the cost of metrics.
const Monitor = (sluice as Record<string, unknown>).JobMonitor as typeof sluice.JobMonitor | undefined;
const monitor = Monitor === undefined ? undefined : new Monitor({ name: query });
const cpuSecondsSince = (from: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1e6;
};
const cpu0 = process.cpuUsage();
const t0 = performance.now();
// The running phase starts when every subtask has opened (worker threads started, job loaded, state restored),
// as the Nexmark reference measures a deployed job; start-up is reported on its own.
let running: { at: number; cpu: NodeJS.CpuUsage } | undefined;
const observer: sluice.RunObserver = {
  onGraph: (g) => monitor?.onGraph?.(g),
  onAttemptStarted: (attempt) => {
    running ??= { at: performance.now(), cpu: process.cpuUsage() };
    monitor?.onAttemptStarted?.(attempt);
  },
  onSamples: (s) => monitor?.onSamples?.(s),
  onCheckpointTriggered: (id, time) => monitor?.onCheckpointTriggered?.(id, time),
  onCheckpointCompleted: (stats) => monitor?.onCheckpointCompleted?.(stats),
  onCheckpointAbandoned: (id, time) => monitor?.onCheckpointAbandoned?.(id, time),
  onRestart: (error, time) => monitor?.onRestart?.(error, time),
  onEnd: (outcome, time) => monitor?.onEnd?.(outcome, time),
};
const result = await sluice.runJob(file, {
  args,
  observer,
  config: {
    parallelism: Number(values.parallelism),
    runtimeMode: values.mode as 'streaming' | 'batch',
    localAggregation: values['local-aggregation'] !== 'off',
  },
});
const seconds = (performance.now() - t0) / 1000;
const cpuSeconds = cpuSecondsSince(cpu0);
process.stdout.write(
  `${JSON.stringify({
    query,
    events: Number(values.events),
    seconds,
    cpuSeconds,
    startupSeconds: running === undefined ? 0 : (running.at - t0) / 1000,
    runningSeconds: running === undefined ? seconds : (performance.now() - running.at) / 1000,
    runningCpuSeconds: running === undefined ? cpuSeconds : cpuSecondsSince(running.cpu),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    sourceRecords: result.sourceRecords,
    sinkRecords: result.sinkRecords,
  })}\n`,
);
