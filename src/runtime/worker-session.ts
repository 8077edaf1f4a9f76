import type { MessagePort } from 'node:worker_threads';
import type { JobPlan } from '../plan/job-plan.js';
import { drainCollected } from './collect-registry.js';
import { toWire } from './errors-wire.js';
import { buildExecutionGraph } from './execution-graph.js';
import { Executor } from './executor.js';
import type { CheckpointAck, CoordinatorCommand, PlanSpec, WorkerReport, WorkerSetup } from './job-runner.js';
import { JobLogs, STDERR_LOGS } from './logging/job-logger.js';

/** The coordinator's end as a session sees it: a worker's parent port or a hosted session's control port. */
export interface SessionPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (m: CoordinatorCommand) => void): unknown;
}

/** A running session: `stop` cancels it and resolves once its executor has stopped (bounded by `timeoutMs`). */
export interface WorkerSession {
  stop(timeoutMs: number): Promise<void>;
}

/**
 * What a session on the coordinating thread uses instead of rebuilding the plan: the coordinator's own plan (its
 * module is already loaded there), and the run's logs and function-copy setting.
 */
export interface LocalSessionParts {
  readonly plan: JobPlan;
  readonly logs: JobLogs;
  readonly copyFunctions: boolean;
}

/**
 * Runs one thread's share of a job (see job-runner.ts for the protocol) against `port`: rebuilds the plan (or takes
 * `local`'s), opens and restores the executor, reports readiness, progress, acknowledgements and the end.
 * `onFinished` is called after the `finished` report has been posted (a worker thread of its own exits then; a
 * hosted session ends). After a `failed` report the session waits to be stopped, as a worker thread waits to be
 * terminated.
 */
export function runWorkerSession(
  data: WorkerSetup & { ports: (MessagePort | undefined)[] },
  port: SessionPort,
  onFinished: () => void,
  local?: LocalSessionParts,
): WorkerSession {
  // Acknowledgements made in one run of the microtask queue travel in one message (the subtasks of a thread snapshot
  // in the same loop round, and their state is stored together); a microtask rather than the next turn, so that no
  // acknowledgement waits for a round of processing. Any other report sends them first: the order of reports holds.
  let acks: CheckpointAck[] = [];
  const flushAcks = () => {
    if (acks.length === 0) return;
    port.postMessage({ t: 'acks', acks } satisfies WorkerReport);
    acks = [];
  };
  const report = (r: WorkerReport) => {
    flushAcks();
    port.postMessage(r);
  };
  const ack = (a: CheckpointAck) => {
    if (acks.length === 0) queueMicrotask(flushAcks);
    acks.push(a);
  };
  let executor: Executor | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  const started = (async () => {
    try {
      const plan = local?.plan ?? (await loadPlan(data.spec));
      const graph = buildExecutionGraph(plan);
      const ex = new Executor(
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
              inlineStateBytes: data.inlineStateBytes,
              onAck: (id, ref, alignmentMs, references) => ack({ id, ref, alignmentMs, references }),
              onDrained: () => report({ t: 'drained' }),
              activity: data.activity === undefined ? undefined : new Int32Array(data.activity),
            },
        local?.logs ?? (data.logs === undefined ? STDERR_LOGS : new JobLogs(data.logs)),
        local?.copyFunctions ?? false,
        data.alignment,
      );
      executor = ex;
      if (data.trace === true) ex.startTrace();
      await ex.open();
      if (data.restore !== undefined) await ex.restore(data.restore.dir, data.restore.metadata);
      // Metric samples ride on every other progress report (about once a second), never one message per record.
      let tick = 0;
      ticker = setInterval(() => {
        const withSamples = data.sample && tick++ % 2 === 1;
        report({ t: 'progress', p: ex.progress(), ...(withSamples ? { m: ex.samples() } : {}) });
        const trace = ex.takeTrace(false);
        if (trace !== undefined) report({ t: 'trace', trace });
      }, 500);
      port.on('message', (m: CoordinatorCommand) => {
        switch (m.t) {
          case 'start':
            ex.start();
            break;
          case 'cancel':
            ex.cancel();
            break;
          case 'checkpoint':
            ex.triggerCheckpoint(m.id, m.full);
            break;
          case 'abort':
            ex.abortCheckpoint(m.id);
            break;
          case 'complete':
            ex.notifyCheckpointComplete(m.id, m.final);
            break;
        }
      });
      ex.done.then(
        () => {
          clearInterval(ticker);
          const trace = ex.takeTrace(true);
          if (trace !== undefined) report({ t: 'trace', trace });
          report({
            t: 'finished',
            collected: drainCollected(data.executionId),
            side: ex.unconsumedSideRecords(),
            p: ex.progress(),
            metrics: ex.operatorMetrics(),
            m: ex.samples(),
          });
          ex.closePorts();
          onFinished();
        },
        (e) => {
          clearInterval(ticker);
          report({
            t: 'failed',
            error: toWire(e),
            collected: drainCollected(data.executionId),
            p: ex.progress(),
            metrics: ex.operatorMetrics(),
            m: ex.samples(),
          });
        },
      );
      report({ t: 'ready' });
    } catch (e) {
      report({
        t: 'failed',
        error: toWire(e),
        collected: {},
        p: { sourceRecords: 0, sinkRecords: 0 },
        metrics: [],
        m: [],
      });
    }
  })();
  return {
    async stop(timeoutMs) {
      await started;
      clearInterval(ticker);
      const ex = executor;
      if (ex === undefined) return;
      ex.cancel();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        ex.done.catch(() => {}),
        new Promise<void>((r) => {
          timer = setTimeout(r, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      ex.closePorts();
    },
  };
}

async function loadPlan(spec: PlanSpec): Promise<JobPlan> {
  const loader = (await import(spec.loader)) as { loadJobPlan(spec: PlanSpec): Promise<JobPlan> };
  return loader.loadJobPlan(spec);
}
