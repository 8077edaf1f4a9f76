import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { JobPlan } from '../plan/job-plan.js';
import {
  type CheckpointConfig,
  CheckpointCoordinator,
  type CheckpointStats,
} from './checkpoint/checkpoint-coordinator.js';
import { listCheckpointIds, type ReferencedFile, type StateFileRef } from './checkpoint/checkpoint-storage.js';
import { lockCheckpointDirectory } from './checkpoint/directory-lock.js';
import { checkJobIdentity, checkStateMapping, planFingerprint } from './checkpoint/job-identity.js';
import { chooseRestorePoint, type RestorePoint } from './checkpoint/restore.js';
import { copyCheckpointToSavepoint, watchSavepointRequests } from './checkpoint/savepoint-requests.js';
import { drainCollected } from './collect-registry.js';
import { JobFailedError, toWire, type WireError } from './errors-wire.js';
import { buildExecutionGraph, type ExecutionGraph } from './execution-graph.js';
import { Executor, type ExecutorProgress } from './executor.js';
import { claimScratch } from './state-backend-factory.js';

/** How a worker thread rebuilds the plan: it imports `loader` and calls its `loadJobPlan(spec)`. */
export interface PlanSpec {
  /** URL of the module that builds the plan from `job` (the API layer's job loader). */
  readonly loader: string;
  /** URL of the job module. */
  readonly job: string;
  readonly args: readonly string[];
  readonly overrides: Record<string, unknown>;
}

/** Checkpointing of one run: where, how often, and whether to start over. */
export interface CheckpointRunOptions extends CheckpointConfig {
  /** Delete existing checkpoints and start from the beginning. */
  fresh?: boolean;
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
  /** Exactly-once: periodic checkpoints, restore on start, output committed with checkpoints. */
  checkpoint?: CheckpointRunOptions;
  /** Start from this savepoint (with or without checkpointing in this run). */
  fromSavepoint?: string;
  /** Restore even if the checkpoint holds state of operator uids this job does not have (that state is dropped). */
  allowNonRestoredState?: boolean;
  /** Where the runtime reports restores, corrupt checkpoints and checkpoint figures (stderr on the CLI). */
  log?: (line: string) => void;
  /** Called for every completed checkpoint. */
  onCheckpoint?: (stats: CheckpointStats) => void;
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
  /** The checkpoint the run restored from, if any. */
  restoredFrom: number | undefined;
  /** Set when the job was stopped with a savepoint: where the savepoint is. */
  stoppedWithSavepoint?: string;
}

/** Serves savepoint requests of a checkpointing run; `stop` cancels the job after a stop-with-savepoint. */
function serveSavepoints(
  run: Run,
  coordinator: CheckpointCoordinator | undefined,
  stop: (savepoint: string) => void,
): () => void {
  const root = run.options.checkpoint?.dir;
  if (coordinator === undefined || root === undefined) return () => {};
  return watchSavepointRequests(
    root,
    200,
    async (request) => {
      const { dir, id } = await coordinator.checkpointNow();
      const target = resolve(request.target);
      await copyCheckpointToSavepoint(dir, target);
      run.log(`savepoint ${target} written (checkpoint ${id})${request.stop ? '; stopping' : ''}`);
      if (request.stop) stop(target);
      return { ok: true, path: target, checkpointId: id };
    },
    run.log,
  );
}

/** Messages from a worker to the coordinator. */
export type WorkerReport =
  | { t: 'ready' }
  | { t: 'progress'; p: ExecutorProgress }
  | { t: 'ack'; id: number; ref: StateFileRef; alignmentMs: number; references: ReferencedFile[] }
  | { t: 'drained' }
  | { t: 'finished'; collected: Record<string, unknown[]>; side: Record<string, number>; p: ExecutorProgress }
  | { t: 'failed'; error: WireError };

/** Messages from the coordinator to a worker. */
export type CoordinatorCommand =
  | { t: 'start' }
  | { t: 'cancel' }
  | { t: 'checkpoint'; id: number; full: boolean }
  | { t: 'abort'; id: number }
  | { t: 'complete'; id: number; final: boolean };

/** What a worker thread needs besides its ports. */
export interface WorkerSetup {
  thread: number;
  threads: number;
  spec: PlanSpec;
  executionId: string;
  checkpointRoot: string | undefined;
  restore: RestorePoint | undefined;
}

/** Runs a plan to completion (bounded input) or until it fails or is cancelled. */
export async function runPlan(plan: JobPlan, options: RunOptions): Promise<JobResult> {
  const graph = buildExecutionGraph(plan);
  const executionId = randomUUID();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cp = options.checkpoint;
  const unlock = cp === undefined ? undefined : await lockCheckpointDirectory(cp.dir);
  const releaseScratch = await claimScratch(plan.config, executionId);
  try {
    return await runLocked(plan, graph, options, executionId, log);
  } finally {
    await releaseScratch();
    await unlock?.();
  }
}

async function runLocked(
  plan: JobPlan,
  graph: ExecutionGraph,
  options: RunOptions,
  executionId: string,
  log: (line: string) => void,
): Promise<JobResult> {
  const cp = options.checkpoint;
  const restore = await chooseRestorePoint(
    {
      checkpointDir: cp?.dir,
      fresh: cp?.fresh ?? false,
      fromSavepoint: options.fromSavepoint,
      accept: (point, savepoint) => {
        if (!savepoint) checkJobIdentity(cp!.dir, point.metadata, plan);
        const from = `${savepoint ? 'savepoint' : 'checkpoint'} ${point.dir}`;
        checkStateMapping(from, point.metadata, plan, options.allowNonRestoredState ?? false, log);
      },
    },
    log,
  );
  if (restore !== undefined && restore.metadata.maxParallelism !== plan.config.maxParallelism) {
    throw new JobFailedError(
      toWire(
        new Error(
          `the checkpoint has max parallelism ${restore.metadata.maxParallelism}, the job ${plan.config.maxParallelism}: keyed state cannot be redistributed`,
        ),
      ),
    );
  }
  const newestExistingCheckpoint = cp === undefined ? 0 : ((await listCheckpointIds(cp.dir))[0] ?? 0);
  const run: Run = { plan, graph, options, executionId, restore, log, newestExistingCheckpoint };
  if (options.threads <= 1) return runInProcess(run);
  if (options.spec === undefined) {
    throw new Error('running on several threads needs a job module: define the job with defineJob() in a file');
  }
  return runOnWorkers(run, options.spec, options.threads);
}

interface Run {
  plan: JobPlan;
  graph: ExecutionGraph;
  options: RunOptions;
  executionId: string;
  restore: RestorePoint | undefined;
  log: (line: string) => void;
  newestExistingCheckpoint: number;
}

function coordinatorFor(
  run: Run,
  threads: number,
  trigger: (id: number, full: boolean) => void,
  complete: (id: number, final: boolean) => void,
  abort: (id: number) => void,
  fail: (e: unknown) => void,
): CheckpointCoordinator | undefined {
  const cp = run.options.checkpoint;
  if (cp === undefined) return undefined;
  const subtasks = run.graph.vertices.reduce((n, v) => n + v.parallelism, 0);
  // Ids continue after the restored checkpoint and after every directory already there (a corrupt newer one, or
  // checkpoints of another run when starting from a savepoint), so no id is used twice.
  const firstId = Math.max(run.restore?.metadata.checkpointId ?? 0, run.newestExistingCheckpoint) + 1;
  const job = { name: run.plan.name, fingerprint: planFingerprint(run.plan) };
  return new CheckpointCoordinator(cp, job, run.plan.config.maxParallelism, subtasks, threads, firstId, {
    trigger,
    complete,
    abort,
    fail,
    onStats: (s) => run.options.onCheckpoint?.(s),
  });
}

async function runInProcess(run: Run): Promise<JobResult> {
  const { options } = run;
  let executor: Executor | undefined;
  let failure: ((e: unknown) => void) | undefined;
  const coordinator = coordinatorFor(
    run,
    1,
    (id, full) => executor!.triggerCheckpoint(id, full),
    (id, final) => executor!.notifyCheckpointComplete(id, final),
    (id) => executor!.abortCheckpoint(id),
    (e) => failure?.(e),
  );
  const checkpointRoot = options.checkpoint?.dir;
  executor = new Executor(
    0,
    1,
    run.graph,
    run.plan.config,
    [],
    run.executionId,
    coordinator && checkpointRoot !== undefined
      ? {
          root: checkpointRoot,
          onAck: (id, ref, alignmentMs, references) => coordinator.onAck(id, ref, alignmentMs, references),
          onDrained: () => coordinator.onDrained(),
        }
      : undefined,
  );
  failure = (e) => executor!.fail(e);
  const ticker = options.onProgress ? setInterval(() => options.onProgress!(executor!.progress()), 500) : undefined;
  // Cancelling stops checkpointing first: no checkpoint completes (and no commit reaches a closing sink) after it.
  const cancel = () => {
    void coordinator?.stop();
    executor!.cancel();
  };
  options.signal?.addEventListener('abort', cancel);
  let stoppedWithSavepoint: string | undefined;
  const stopServing = serveSavepoints(run, coordinator, (path) => {
    stoppedWithSavepoint = path;
    void coordinator?.stop();
    executor!.cancel();
  });
  try {
    await executor.open();
    if (run.restore !== undefined) await executor.restore(run.restore.dir, run.restore.metadata);
    if (options.signal?.aborted) executor.cancel();
    else {
      coordinator?.start();
      executor.start();
    }
    await executor.done;
  } catch (e) {
    drainCollected(run.executionId);
    throw new JobFailedError(toWire(e));
  } finally {
    stopServing();
    await coordinator?.stop();
    if (ticker) clearInterval(ticker);
    options.signal?.removeEventListener('abort', cancel);
  }
  const p = executor.progress();
  return {
    collected: drainCollected(run.executionId),
    unconsumedSideRecords: executor.unconsumedSideRecords(),
    sourceRecords: p.sourceRecords,
    sinkRecords: p.sinkRecords,
    cancelled: executor.cancelled && stoppedWithSavepoint === undefined,
    restoredFrom: run.restore?.metadata.checkpointId,
    stoppedWithSavepoint,
  };
}

const workerEntry = new URL('./worker-entry.mjs', import.meta.url);

async function runOnWorkers(run: Run, spec: PlanSpec, threads: number): Promise<JobResult> {
  const { options } = run;
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
  const send = (c: CoordinatorCommand) => {
    for (const w of workers) w.postMessage(c);
  };
  const progress: ExecutorProgress[] = Array.from({ length: threads }, () => ({ sourceRecords: 0, sinkRecords: 0 }));
  const result: JobResult = {
    collected: {},
    unconsumedSideRecords: {},
    sourceRecords: 0,
    sinkRecords: 0,
    cancelled: false,
    restoredFrom: run.restore?.metadata.checkpointId,
  };
  let fail: (e: unknown) => void = () => {};
  const coordinator = coordinatorFor(
    run,
    threads,
    (id, full) => send({ t: 'checkpoint', id, full }),
    (id, final) => send({ t: 'complete', id, final }),
    (id) => send({ t: 'abort', id }),
    (e) => fail(e),
  );
  const cancel = () => {
    result.cancelled = true;
    void coordinator?.stop();
    send({ t: 'cancel' });
  };
  options.signal?.addEventListener('abort', cancel);
  const stopServing = serveSavepoints(run, coordinator, (path) => {
    result.stoppedWithSavepoint = path;
    void coordinator?.stop();
    send({ t: 'cancel' });
  });
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
      fail = (error: unknown) => reject(error instanceof JobFailedError ? error : new JobFailedError(toWire(error)));
      for (let t = 0; t < threads; t++) {
        const peerPorts = ports[t]!;
        const transfer = peerPorts.filter((p): p is MessagePort => p !== undefined);
        const setup: WorkerSetup = {
          thread: t,
          threads,
          spec,
          executionId: run.executionId,
          checkpointRoot: options.checkpoint?.dir,
          restore: run.restore,
        };
        const w = new Worker(workerEntry, { workerData: { ...setup, ports: peerPorts }, transferList: transfer });
        workers.push(w);
        w.on('message', (r: WorkerReport) => {
          switch (r.t) {
            case 'ready':
              if (++ready === threads) {
                if (result.cancelled) send({ t: 'cancel' });
                else {
                  coordinator?.start();
                  send({ t: 'start' });
                }
              }
              break;
            case 'progress':
              progress[t] = r.p;
              break;
            case 'ack':
              coordinator?.onAck(r.id, r.ref, r.alignmentMs, r.references);
              break;
            case 'drained':
              coordinator?.onDrained();
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
        w.on('error', (e) => fail(e));
        w.on('exit', (code) => {
          if (code !== 0) fail(new Error(`worker thread ${t} exited with code ${code}`));
        });
      }
    });
  } finally {
    stopServing();
    await coordinator?.stop();
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
