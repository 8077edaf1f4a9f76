import { randomUUID } from 'node:crypto';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { JobPlan } from '../plan/job-plan.js';
import { drainCollected } from './collect-registry.js';
import { JobFailedError, toWire, type WireError } from './errors-wire.js';
import { buildExecutionGraph } from './execution-graph.js';
import { Executor, type ExecutorProgress } from './executor.js';

/** How a worker thread rebuilds the plan: it imports `loader` and calls its `loadJobPlan(spec)`. */
export interface PlanSpec {
  /** URL of the module that builds the plan from `job` (the API layer's job loader). */
  readonly loader: string;
  /** URL of the job module. */
  readonly job: string;
  readonly args: readonly string[];
  readonly overrides: Record<string, unknown>;
}

export interface RunOptions {
  /** Threads to run on; 1 runs every subtask on the calling thread. */
  threads: number;
  /** Needed when threads > 1: how worker threads rebuild the plan. */
  spec?: PlanSpec;
  /** Called about twice a second with totals over all threads. */
  onProgress?: (p: ExecutorProgress) => void;
  /** Cancels the job: processing stops where it is (no final watermark) and the run resolves with `cancelled`. */
  signal?: AbortSignal;
}

export interface JobResult {
  /** Records gathered by collect sinks, by sink id. */
  collected: Record<string, unknown[]>;
  /** Side-output records that no operator consumed (e.g. late records dropped by a window), by tag id. */
  unconsumedSideRecords: Record<string, number>;
  sourceRecords: number;
  sinkRecords: number;
  /** True when the run ended through its abort signal rather than the end of its input. */
  cancelled: boolean;
}

/** Messages from a worker to the coordinator. */
export type WorkerReport =
  | { t: 'ready' }
  | { t: 'progress'; p: ExecutorProgress }
  | { t: 'finished'; collected: Record<string, unknown[]>; side: Record<string, number>; p: ExecutorProgress }
  | { t: 'failed'; error: WireError };

/** Runs a plan to completion (bounded input) or until it fails. */
export async function runPlan(plan: JobPlan, options: RunOptions): Promise<JobResult> {
  const graph = buildExecutionGraph(plan);
  const executionId = randomUUID();
  if (options.threads <= 1) return runInProcess(plan, graph, options, executionId);
  if (options.spec === undefined) {
    throw new Error('running on several threads needs a job module: define the job with defineJob() in a file');
  }
  return runOnWorkers(options.spec, options.threads, options, executionId);
}

async function runInProcess(
  plan: JobPlan,
  graph: ReturnType<typeof buildExecutionGraph>,
  options: RunOptions,
  executionId: string,
): Promise<JobResult> {
  const executor = new Executor(0, 1, graph, plan.config, [], executionId);
  const ticker = options.onProgress ? setInterval(() => options.onProgress!(executor.progress()), 500) : undefined;
  const cancel = () => executor.cancel();
  options.signal?.addEventListener('abort', cancel);
  try {
    await executor.open();
    if (options.signal?.aborted) executor.cancel();
    else executor.start();
    await executor.done;
  } catch (e) {
    drainCollected(executionId);
    throw new JobFailedError(toWire(e));
  } finally {
    if (ticker) clearInterval(ticker);
    options.signal?.removeEventListener('abort', cancel);
  }
  const p = executor.progress();
  return {
    collected: drainCollected(executionId),
    unconsumedSideRecords: executor.unconsumedSideRecords(),
    sourceRecords: p.sourceRecords,
    sinkRecords: p.sinkRecords,
    cancelled: executor.cancelled,
  };
}

const workerEntry = new URL('./worker-entry.mjs', import.meta.url);

async function runOnWorkers(
  spec: PlanSpec,
  threads: number,
  options: RunOptions,
  executionId: string,
): Promise<JobResult> {
  // A full mesh of channels: ports[i][j] is thread i's end of the channel to thread j.
  const ports: (MessagePort | undefined)[][] = Array.from({ length: threads }, () => new Array(threads));
  for (let i = 0; i < threads; i++) {
    for (let j = i + 1; j < threads; j++) {
      const { port1, port2 } = new MessageChannel();
      ports[i]![j] = port1;
      ports[j]![i] = port2;
    }
  }
  const workers: Worker[] = [];
  const progress: ExecutorProgress[] = Array.from({ length: threads }, () => ({ sourceRecords: 0, sinkRecords: 0 }));
  const result: JobResult = {
    collected: {},
    unconsumedSideRecords: {},
    sourceRecords: 0,
    sinkRecords: 0,
    cancelled: false,
  };
  const cancel = () => {
    result.cancelled = true;
    for (const w of workers) w.postMessage({ t: 'cancel' });
  };
  options.signal?.addEventListener('abort', cancel);
  let ready = 0;
  let finished = 0;
  const ticker = options.onProgress
    ? setInterval(() => {
        const total = { sourceRecords: 0, sinkRecords: 0 };
        for (const p of progress) {
          total.sourceRecords += p.sourceRecords;
          total.sinkRecords += p.sinkRecords;
        }
        options.onProgress!(total);
      }, 500)
    : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: unknown) => reject(error);
      for (let t = 0; t < threads; t++) {
        const peerPorts = ports[t]!;
        const transfer = peerPorts.filter((p): p is MessagePort => p !== undefined);
        const w = new Worker(workerEntry, {
          workerData: { thread: t, threads, spec, ports: peerPorts, executionId },
          transferList: transfer,
        });
        workers.push(w);
        w.on('message', (r: WorkerReport) => {
          switch (r.t) {
            case 'ready':
              if (++ready === threads) {
                for (const x of workers) x.postMessage({ t: result.cancelled ? 'cancel' : 'start' });
              }
              break;
            case 'progress':
              progress[t] = r.p;
              break;
            case 'finished':
              progress[t] = r.p;
              for (const [id, vs] of Object.entries(r.collected)) (result.collected[id] ??= []).push(...vs);
              for (const [id, n] of Object.entries(r.side)) {
                result.unconsumedSideRecords[id] = (result.unconsumedSideRecords[id] ?? 0) + n;
              }
              if (++finished === threads) resolve();
              break;
            case 'failed':
              fail(new JobFailedError(r.error));
              break;
          }
        });
        w.on('error', (e) => fail(new JobFailedError(toWire(e))));
        w.on('exit', (code) => {
          if (code !== 0) fail(new JobFailedError(toWire(new Error(`worker thread ${t} exited with code ${code}`))));
        });
      }
    });
  } finally {
    if (ticker) clearInterval(ticker);
    options.signal?.removeEventListener('abort', cancel);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  for (const p of progress) {
    result.sourceRecords += p.sourceRecords;
    result.sinkRecords += p.sinkRecords;
  }
  return result;
}
