import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { JobPlan } from '../plan/job-plan.js';
import { drainCollected } from './collect-registry.js';
import { toWire } from './errors-wire.js';
import { buildExecutionGraph } from './execution-graph.js';
import { Executor } from './executor.js';
import type { CoordinatorCommand, PlanSpec, WorkerReport, WorkerSetup } from './job-runner.js';
import { JobLogs, STDERR_LOGS } from './logging/job-logger.js';

/** Runs one thread's share of a job; see job-runner.ts for the protocol. */
const data = workerData as WorkerSetup & { ports: (MessagePort | undefined)[] };
const port = parentPort!;
const report = (r: WorkerReport) => port.postMessage(r);

try {
  const loader = (await import(data.spec.loader)) as { loadJobPlan(spec: PlanSpec): Promise<JobPlan> };
  const plan = await loader.loadJobPlan(data.spec);
  const graph = buildExecutionGraph(plan);
  const executor = new Executor(
    data.thread,
    data.threads,
    graph,
    plan.config,
    data.ports,
    data.executionId,
    data.checkpointRoot === undefined
      ? undefined
      : {
          root: data.checkpointRoot,
          onAck: (id, ref, alignmentMs, references) => report({ t: 'ack', id, ref, alignmentMs, references }),
          onDrained: () => report({ t: 'drained' }),
        },
    data.logs === undefined ? STDERR_LOGS : new JobLogs(data.logs),
  );
  await executor.open();
  if (data.restore !== undefined) await executor.restore(data.restore.dir, data.restore.metadata);
  // Metric samples ride on every other progress report (about once a second), never one message per record.
  let tick = 0;
  const ticker = setInterval(() => {
    const withSamples = data.sample && tick++ % 2 === 1;
    report({ t: 'progress', p: executor.progress(), ...(withSamples ? { m: executor.samples() } : {}) });
  }, 500);
  port.on('message', (m: CoordinatorCommand) => {
    switch (m.t) {
      case 'start':
        executor.start();
        break;
      case 'cancel':
        executor.cancel();
        break;
      case 'checkpoint':
        executor.triggerCheckpoint(m.id, m.full);
        break;
      case 'abort':
        executor.abortCheckpoint(m.id);
        break;
      case 'complete':
        executor.notifyCheckpointComplete(m.id, m.final);
        break;
    }
  });
  executor.done.then(
    () => {
      clearInterval(ticker);
      report({
        t: 'finished',
        collected: drainCollected(data.executionId),
        side: executor.unconsumedSideRecords(),
        p: executor.progress(),
        metrics: executor.operatorMetrics(),
        m: executor.samples(),
      });
      executor.closePorts();
      port.close();
      // End this thread once what it printed is handed to the main thread, even if a library's timer (a Kafka
      // client's retry) would keep it alive; the coordinator waits for this exit instead of terminating the thread,
      // which would drop stdout not yet handed over.
      process.stdout.write('', () => process.stderr.write('', () => process.exit(0)));
    },
    (e) => {
      clearInterval(ticker);
      report({
        t: 'failed',
        error: toWire(e),
        collected: drainCollected(data.executionId),
        p: executor.progress(),
        metrics: executor.operatorMetrics(),
        m: executor.samples(),
      });
    },
  );
  report({ t: 'ready' });
} catch (e) {
  report({ t: 'failed', error: toWire(e), collected: {}, p: { sourceRecords: 0, sinkRecords: 0 }, metrics: [], m: [] });
}
