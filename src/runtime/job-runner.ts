import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { JobPlan } from '../plan/job-plan.js';
import { effectiveRestartStrategy, type RestartStrategyConfig } from '../plan/restart-strategy.js';
import type { ThreadTrace } from './analysis/activity-trace.js';
import { type AnalysisOptions, shipLocalTrace, traceCollectorFor } from './analysis/trace-collector.js';
import type { AutoscalerOptions } from './autoscaler/autoscaler-options.js';
import { type AttemptControl, rescalingFor, stopAfterCheckpoint } from './autoscaler/rescaling.js';
import {
  type CheckpointConfig,
  CheckpointCoordinator,
  type CheckpointStats,
} from './checkpoint/checkpoint-coordinator.js';
import {
  findLatestCheckpoint,
  listCheckpointIds,
  type ReferencedFile,
  type StateFileRef,
} from './checkpoint/checkpoint-storage.js';
import { lockCheckpointDirectory } from './checkpoint/directory-lock.js';
import { checkJobIdentity, checkStateMapping, planFingerprint } from './checkpoint/job-identity.js';
import { chooseRestorePoint, type RestorePoint } from './checkpoint/restore.js';
import { copyCheckpointToSavepoint, watchSavepointRequests } from './checkpoint/savepoint-requests.js';
import { drainCollected } from './collect-registry.js';
import { JobFailedError, toWire, type WireError } from './errors-wire.js';
import { buildExecutionGraph, type ExecutionGraph } from './execution-graph.js';
import { Executor, type ExecutorProgress, sumProgress } from './executor.js';
import { lateDataWarnings } from './late-data-warnings.js';
import { LocalWorker } from './local-worker.js';
import { JobLogs, type LogSettings, STDERR_LOGS } from './logging/job-logger.js';
import type { RunObserver } from './metrics/run-observer.js';
import type { SubtaskSample } from './metrics/subtask-sample.js';
import { entriesToPreload, plainNodeSuffices } from './module-needs.mjs';
import { addMetrics, type OperatorMetrics } from './operator-metrics.js';
import { createRestartBackoff } from './restart-backoff.js';
import { AttemptFailure, runWithRestarts } from './restart-loop.js';
import { claimScratch } from './state-backend-factory.js';
import { alignmentLayout, alignmentSlots } from './watermark-alignment.js';
import type { WorkerHost, WorkerLike } from './worker-host.js';

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
  /**
   * Threads to run on; 1 runs every subtask on the calling thread. With more, thread 0's share runs on the calling
   * thread too (it has the plan already) and the others on worker threads, unless `workerHost` is set.
   */
  threads: number;
  /** Needed when threads > 1: how worker threads rebuild the plan. */
  spec?: PlanSpec;
  /** Called about twice a second with totals over all threads, and once more when an attempt ends. */
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
  /** @internal How long threads may take to start before each warning naming them (default 30 s). */
  startWarningMs?: number;
  /** Called for every completed checkpoint. */
  onCheckpoint?: (stats: CheckpointStats) => void;
  /**
   * Called when the run fails while running (after any restarts) with what it did until then, before it rejects;
   * not for failures while the job starts.
   */
  onFailed?: (figures: RunFigures) => void;
  /** Wins over the plan's restart strategy (cluster mode restarts its tasks itself). */
  restartStrategy?: RestartStrategyConfig;
  /** Watches the run: metric samples, checkpoints, restarts, the end (the job monitor). */
  observer?: RunObserver;
  /** Where user functions' log lines go (default: warnings and errors to stderr). */
  logs?: LogSettings;
  /**
   * Give every subtask its own copies of the plan's function objects, also on one thread. Needed when several runs
   * of one plan's nodes share a process (cluster mode runs each task as a plan of its own, built from the same
   * nodes): without copies, a function holding state handles (set in `open`) would use the last task's.
   */
  copyFunctions?: boolean;
  /**
   * Run the job's threads as sessions on these shared host threads instead of threads of their own; with it, even
   * `threads: 1` runs off the calling thread (needs `spec`). Cluster mode hosts all tasks of a process this way.
   */
  workerHost?: WorkerHost;
  /**
   * Rescale the job's vertices from their measured true processing rates (see `autoscaler/`). Needs checkpointing:
   * each rescale is a checkpoint, a stop, and a restart from it at the new parallelism, in this process, with threads
   * enough for the highest parallelism (a job module is needed for more than one thread).
   */
  autoscale?: AutoscalerOptions;
  /**
   * Record every executor thread's activity and report the critical path and the bottleneck per window of
   * `windowMs` and once at the end of each attempt (see analysis/trace-collector.ts). Off by default: then the
   * executors record nothing.
   */
  analysis?: AnalysisOptions;
}

/** How often subtasks' metric samples are taken, ms. */
const SAMPLE_INTERVAL_MS = 1000;

export interface JobResult {
  /**
   * Records gathered by collect sinks, by sink id. After a restart from a checkpoint they include what failed
   * attempts collected (collect sinks are at-least-once: records after the checkpoint may appear twice).
   */
  collected: Record<string, unknown[]>;
  /** Side-output records that no operator consumed (e.g. late records dropped by a window), by tag id. */
  unconsumedSideRecords: Record<string, number>;
  /** Records read by sources and records reaching sinks, over every attempt (replays after a restart count again). */
  sourceRecords: number;
  sinkRecords: number;
  /**
   * Counters per operator (e.g. `numLateRecordsDropped` of window operators and interval joins), summed over
   * subtasks and attempts, in plan order.
   */
  operatorMetrics: OperatorMetrics[];
  /** Times the job was restarted after a failure. */
  restarts: number;
  /** Checkpoints completed by this run (the final one included). */
  checkpointsCompleted: number;
  /** True when the run ended through its abort signal rather than the end of its input. */
  cancelled: boolean;
  /** The checkpoint the run restored from, if any. */
  restoredFrom: number | undefined;
  /** Set when the job was stopped with a savepoint: where the savepoint is. */
  stoppedWithSavepoint?: string;
  /** Times the autoscaler rescaled the job. */
  rescales?: number;
  /** Set on an attempt stopped to rescale: the checkpoint it stopped after. */
  rescaledAt?: number;
}

/** What a run did over all its attempts: the figures of `sluice run`'s summary line. */
export type RunFigures = Pick<
  JobResult,
  'sourceRecords' | 'sinkRecords' | 'operatorMetrics' | 'restarts' | 'checkpointsCompleted'
>;

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

/** A subtask's snapshot for checkpoint `id` is stored: where, how long its alignment took, what it builds on. */
export interface CheckpointAck {
  id: number;
  ref: StateFileRef;
  alignmentMs: number;
  references: ReferencedFile[];
}

/** Messages from a worker to the coordinator (acknowledgements made in one run of the microtask queue together). */
export type WorkerReport =
  | { t: 'ready' }
  | { t: 'progress'; p: ExecutorProgress; m?: SubtaskSample[] }
  | { t: 'acks'; acks: CheckpointAck[] }
  | { t: 'drained' }
  | { t: 'trace'; trace: ThreadTrace }
  | {
      t: 'finished';
      collected: Record<string, unknown[]>;
      side: Record<string, number>;
      p: ExecutorProgress;
      metrics: OperatorMetrics[];
      m: SubtaskSample[];
    }
  | {
      t: 'failed';
      error: WireError;
      collected: Record<string, unknown[]>;
      p: ExecutorProgress;
      metrics: OperatorMetrics[];
      m: SubtaskSample[];
    };

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
  /** {@link CheckpointConfig.inlineStateBytes}. */
  inlineStateBytes?: number;
  restore: RestorePoint | undefined;
  logs: LogSettings | undefined;
  /** Send metric samples with every other progress report (about once a second). */
  sample: boolean;
  /** Record the activity trace and send it with every progress report (see `RunOptions.analysis`). */
  trace?: boolean;
  /** The threads' input counts, shared with the checkpoint coordinator (see `ExecutorCheckpointing.activity`). */
  activity?: SharedArrayBuffer;
  /** The run's watermark alignment slots, when a strategy asks for alignment (`watermark-alignment.ts`). */
  alignment?: SharedArrayBuffer;
}

/** One input-count slot per thread, shared between the executors and the checkpoint coordinator. */
function activitySlots(threads: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * threads));
}

/** Runs a plan to completion (bounded input) or until it fails or is cancelled. */
export async function runPlan(plan: JobPlan, options: RunOptions): Promise<JobResult> {
  const graph = buildExecutionGraph(plan);
  const executionId = randomUUID();
  const logs = options.logs === undefined ? STDERR_LOGS : new JobLogs(options.logs);
  const jobLog = options.logs?.file === undefined ? undefined : logs.forJob();
  const printLine = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // The runtime's own messages also go to the job's log file, when it has one.
  const log =
    jobLog === undefined
      ? printLine
      : (line: string) => {
          printLine(line);
          jobLog.info(line);
        };
  const observer = options.observer;
  observer?.onGraph?.(graph);
  const cp = options.checkpoint;
  let unlock: (() => Promise<void>) | undefined;
  try {
    unlock = cp === undefined ? undefined : await lockCheckpointDirectory(cp.dir);
  } catch (e) {
    observer?.onEnd?.({ state: 'FAILED', error: toWire(e) }, Date.now());
    throw e;
  }
  const releaseScratch = await claimScratch(plan.config, executionId);
  try {
    const result = await runLocked(plan, graph, options, executionId, log, logs);
    observer?.onEnd?.({ state: result.cancelled ? 'CANCELED' : 'FINISHED' }, Date.now());
    return result;
  } catch (e) {
    observer?.onEnd?.({ state: 'FAILED', error: e instanceof JobFailedError ? e.wire : toWire(e) }, Date.now());
    throw e;
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
  logs: JobLogs,
): Promise<JobResult> {
  const cp = options.checkpoint;
  const first = await chooseRestorePoint(
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
  if (first !== undefined && first.metadata.maxParallelism !== plan.config.maxParallelism) {
    throw new JobFailedError(
      toWire(
        new Error(
          `the checkpoint has max parallelism ${first.metadata.maxParallelism}, the job ${plan.config.maxParallelism}: keyed state cannot be redistributed`,
        ),
      ),
    );
  }
  if ((options.threads > 1 || options.workerHost !== undefined) && options.spec === undefined) {
    throw new Error('running on several threads needs a job module: define the job with defineJob() in a file');
  }
  const strategy = effectiveRestartStrategy(options.restartStrategy ?? plan.config.restartStrategy, cp !== undefined);
  const totals: RunTotals = { highestCheckpointId: 0, checkpointsCompleted: 0 };
  // What failed attempts collected and counted before the checkpoint a restart resumes from.
  const carried = {
    collected: {} as Record<string, unknown[]>,
    sourceRecords: 0,
    sinkRecords: 0,
    metrics: [] as OperatorMetrics[],
  };
  let restarts = 0;
  let attempts = 0;
  const scaling = rescalingFor(graph, options, log);
  let current = { plan, graph };
  let start = first;
  let result: JobResult;
  for (;;) {
    result = await runWithRestarts<JobResult>({
      backoff: createRestartBackoff(strategy),
      log,
      signal: options.signal,
      first: start,
      attempt: async (_n, restore) => {
        const n = ++attempts;
        const newestExistingCheckpoint = cp === undefined ? 0 : ((await listCheckpointIds(cp.dir))[0] ?? 0);
        // Each attempt has an execution id of its own: collect registries and disk-backend scratch folders of a
        // failed attempt never mix with the next one's (the scratch folders nest under the run's claimed folder).
        const attemptId = n === 1 ? executionId : `${executionId}/${n}`;
        const run: Run = {
          plan: current.plan,
          graph: current.graph,
          options: scaling?.optionsFor(current.plan, current.graph) ?? options,
          executionId: attemptId,
          restore,
          log,
          newestExistingCheckpoint,
          totals,
          attempt: n,
          logs,
          control: scaling?.control ?? {},
        };
        return run.options.threads <= 1 && run.options.workerHost === undefined
          ? runInProcess(run)
          : runOnWorkers(run, run.options.spec!, Math.max(1, run.options.threads));
      },
      restartPoint: async () => {
        if (cp !== undefined) {
          const latest = await findLatestCheckpoint(cp.dir, (line) => log(`warning: ${line}; using an older one`));
          if (latest !== undefined) return latest;
        }
        return start;
      },
      onRestart: (failure, from, previous) => {
        restarts++;
        options.observer?.onRestart?.(failure.error.wire, Date.now());
        scaling?.autoscaler.onRestart();
        carried.sourceRecords += failure.progress.sourceRecords;
        carried.sinkRecords += failure.progress.sinkRecords;
        addMetrics(carried.metrics, failure.metrics);
        // Records collected before a newer checkpoint are not produced again: keep them. Restarting from the point
        // the failed attempt started from, the next attempt produces them all again.
        if (from?.dir === previous?.dir) return;
        for (const [id, vs] of Object.entries(failure.collected)) (carried.collected[id] ??= []).push(...vs);
      },
      cancelledResult: () => emptyResult(true, undefined),
      onFinalFailure: (failure) => {
        addMetrics(carried.metrics, failure.metrics);
        const operatorMetrics = inPlanOrder(plan, carried.metrics);
        for (const line of lateDataWarnings(plan, operatorMetrics)) log(line);
        // A job that never started processing did nothing worth a summary; its error says it all.
        if (!failure.started) return;
        options.onFailed?.({
          sourceRecords: carried.sourceRecords + failure.progress.sourceRecords,
          sinkRecords: carried.sinkRecords + failure.progress.sinkRecords,
          operatorMetrics,
          restarts,
          checkpointsCompleted: totals.checkpointsCompleted,
        });
      },
    });
    const next = result.rescaledAt === undefined ? undefined : scaling?.takeRescale();
    if (next === undefined || cp === undefined) break;
    // Stopped right after a checkpoint to rescale: keep what it did, and go on from that checkpoint.
    carried.sourceRecords += result.sourceRecords;
    carried.sinkRecords += result.sinkRecords;
    addMetrics(carried.metrics, result.operatorMetrics);
    for (const [id, vs] of Object.entries(result.collected)) (carried.collected[id] ??= []).push(...vs);
    const rescaledPlan: JobPlan = { ...current.plan, config: { ...current.plan.config, parallelismByUid: next } };
    current = { plan: rescaledPlan, graph: buildExecutionGraph(rescaledPlan) };
    scaling!.rescales++;
    options.observer?.onGraph?.(current.graph);
    scaling!.autoscaler.onGraph(current.graph);
    start = await findLatestCheckpoint(cp.dir, (line) => log(`warning: ${line}; using an older one`));
    log(
      `autoscaler: rescaling from checkpoint ${start?.metadata.checkpointId} to ` +
        current.graph.vertices.map((v) => `${v.name} p=${v.parallelism}`).join(', '),
    );
  }
  for (const [id, vs] of Object.entries(result.collected)) (carried.collected[id] ??= []).push(...vs);
  addMetrics(carried.metrics, result.operatorMetrics);
  if (scaling !== undefined) {
    const decisions = scaling.autoscaler.decisions.length;
    log(
      `autoscaler: ${decisions} decision${decisions === 1 ? '' : 's'}, ${scaling.rescales} rescale${scaling.rescales === 1 ? '' : 's'}; ` +
        `ended at ${current.graph.vertices.map((v) => `${v.name} p=${v.parallelism}`).join(', ')}`,
    );
  }
  const operatorMetrics = inPlanOrder(plan, carried.metrics);
  for (const line of lateDataWarnings(plan, operatorMetrics)) log(line);
  return {
    ...result,
    operatorMetrics,
    collected: carried.collected,
    sourceRecords: result.sourceRecords + carried.sourceRecords,
    sinkRecords: result.sinkRecords + carried.sinkRecords,
    restarts,
    checkpointsCompleted: totals.checkpointsCompleted,
    restoredFrom: first?.metadata.checkpointId,
    ...(scaling === undefined ? {} : { rescales: scaling.rescales }),
  };
}

function inPlanOrder(plan: JobPlan, metrics: OperatorMetrics[]): OperatorMetrics[] {
  const order = new Map(plan.nodes.map((n, i) => [n.uid, i]));
  return [...metrics].sort((a, b) => (order.get(a.uid) ?? 0) - (order.get(b.uid) ?? 0));
}

/** Figures that span the attempts of one run. */
interface RunTotals {
  /** The highest checkpoint id any attempt started: a later attempt never uses it again. */
  highestCheckpointId: number;
  checkpointsCompleted: number;
}

interface Run {
  plan: JobPlan;
  graph: ExecutionGraph;
  options: RunOptions;
  executionId: string;
  restore: RestorePoint | undefined;
  log: (line: string) => void;
  newestExistingCheckpoint: number;
  totals: RunTotals;
  /** 1-based number of this attempt. */
  attempt: number;
  logs: JobLogs;
  /** Filled in by the running attempt for the autoscaler. */
  control: AttemptControl;
}

function coordinatorFor(
  run: Run,
  threads: number,
  trigger: (id: number, full: boolean) => void,
  complete: (id: number, final: boolean) => void,
  abort: (id: number) => void,
  fail: (e: unknown) => void,
  activity: Int32Array,
): CheckpointCoordinator | undefined {
  const cp = run.options.checkpoint;
  if (cp === undefined) return undefined;
  const subtasks = run.graph.vertices.reduce((n, v) => n + v.parallelism, 0);
  // Ids continue after the restored checkpoint and after every directory already there (a corrupt newer one, or
  // checkpoints of another run when starting from a savepoint), so no id is used twice.
  // A failed attempt may still be writing a state file of a checkpoint whose directory is not there yet.
  const firstId =
    Math.max(run.restore?.metadata.checkpointId ?? 0, run.newestExistingCheckpoint, run.totals.highestCheckpointId) + 1;
  const job = { name: run.plan.name, fingerprint: planFingerprint(run.plan) };
  return new CheckpointCoordinator(cp, job, run.plan.config.maxParallelism, subtasks, threads, firstId, {
    trigger: (id, full) => {
      run.totals.highestCheckpointId = Math.max(run.totals.highestCheckpointId, id);
      run.options.observer?.onCheckpointTriggered?.(id, Date.now());
      trigger(id, full);
    },
    complete,
    abort: (id) => {
      run.options.observer?.onCheckpointAbandoned?.(id, Date.now());
      abort(id);
    },
    fail,
    activity: () => {
      let n = 0;
      for (let t = 0; t < activity.length; t++) n = (n + Atomics.load(activity, t)) | 0;
      return n;
    },
    onStats: (s) => {
      run.totals.checkpointsCompleted++;
      run.options.onCheckpoint?.(s);
      run.options.observer?.onCheckpointCompleted?.(s);
    },
  });
}

async function runInProcess(run: Run): Promise<JobResult> {
  const { options } = run;
  let executor: Executor | undefined;
  let failure: ((e: unknown) => void) | undefined;
  const activity = activitySlots(1);
  const coordinator = coordinatorFor(
    run,
    1,
    (id, full) => executor!.triggerCheckpoint(id, full),
    (id, final) => executor!.notifyCheckpointComplete(id, final),
    (id) => executor!.abortCheckpoint(id),
    (e) => failure?.(e),
    activity,
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
          inlineStateBytes: options.checkpoint?.inlineStateBytes,
          onAck: (id, ref, alignmentMs, references) => coordinator.onAck(id, ref, alignmentMs, references),
          onDrained: () => coordinator.onDrained(),
          activity,
        }
      : undefined,
    run.logs,
    options.copyFunctions === true,
    alignmentSlots(alignmentLayout(run.graph)),
  );
  failure = (e) => executor!.fail(e);
  const stopTrace = shipLocalTrace(executor, traceCollectorFor(run.options.analysis, run.graph, 1));
  const ticker = options.onProgress ? setInterval(() => options.onProgress!(executor!.progress()), 500) : undefined;
  const observer = options.observer;
  const sampleNow = () => observer?.onSamples?.(executor!.samples());
  const sampler = observer?.onSamples === undefined ? undefined : setInterval(sampleNow, SAMPLE_INTERVAL_MS);
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
  let rescaledAt: number | undefined;
  run.control.stopForRescale = stopAfterCheckpoint(coordinator, (id) => {
    rescaledAt = id;
    executor!.cancel();
  });
  let started = false;
  try {
    await executor.open();
    if (run.restore !== undefined) await executor.restore(run.restore.dir, run.restore.metadata);
    if (options.signal?.aborted) executor.cancel();
    else {
      coordinator?.start();
      executor.start();
      started = true;
      observer?.onAttemptStarted?.(run.attempt);
    }
    await executor.done;
  } catch (e) {
    sampleNow();
    throw new AttemptFailure(
      new JobFailedError(toWire(e)),
      started,
      drainCollected(run.executionId),
      executor.progress(),
      executor.operatorMetrics(),
    );
  } finally {
    stopServing();
    await coordinator?.stop();
    if (ticker) clearInterval(ticker);
    if (sampler) clearInterval(sampler);
    options.signal?.removeEventListener('abort', cancel);
    stopTrace(false);
  }
  stopTrace(true);
  sampleNow();
  const p = executor.progress();
  options.onProgress?.(p);
  return {
    collected: drainCollected(run.executionId),
    unconsumedSideRecords: executor.unconsumedSideRecords(),
    sourceRecords: p.sourceRecords,
    sinkRecords: p.sinkRecords,
    operatorMetrics: executor.operatorMetrics(),
    restarts: 0,
    checkpointsCompleted: 0,
    cancelled: executor.cancelled && stoppedWithSavepoint === undefined && rescaledAt === undefined,
    restoredFrom: run.restore?.metadata.checkpointId,
    stoppedWithSavepoint,
    ...(rescaledAt === undefined ? {} : { rescaledAt }),
  };
}

const workerEntry = new URL('./worker-entry.mjs', import.meta.url);

/** A result with nothing collected or counted yet. */
function emptyResult(cancelled: boolean, restoredFrom: number | undefined): JobResult {
  return {
    collected: {},
    unconsumedSideRecords: {},
    sourceRecords: 0,
    sinkRecords: 0,
    operatorMetrics: [],
    restarts: 0,
    checkpointsCompleted: 0,
    cancelled,
    restoredFrom,
  };
}

/** Waits for a worker thread to exit; terminates it if it has not after `ms`. */
function exitOrTerminate(w: WorkerLike, ms: number): Promise<unknown> {
  if (w.threadId === -1) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(w.terminate()), ms);
    w.once('exit', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

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
  const workers: WorkerLike[] = [];
  const send = (c: CoordinatorCommand) => {
    for (const w of workers) w.postMessage(c);
  };
  const progress: ExecutorProgress[] = Array.from({ length: threads }, () => ({ sourceRecords: 0, sinkRecords: 0 }));
  const result = emptyResult(false, run.restore?.metadata.checkpointId);
  let fail: (e: unknown) => void = () => {};
  const activity = activitySlots(threads);
  const alignment = alignmentSlots(alignmentLayout(run.graph));
  const coordinator = coordinatorFor(
    run,
    threads,
    (id, full) => send({ t: 'checkpoint', id, full }),
    (id, final) => send({ t: 'complete', id, final }),
    (id) => send({ t: 'abort', id }),
    (e) => fail(e),
    activity,
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
  run.control.stopForRescale = stopAfterCheckpoint(coordinator, (id) => {
    result.rescaledAt = id;
    send({ t: 'cancel' });
  });
  let finished = 0;
  let started = false;
  /** Set once the attempt failed: workers still running hand over what they collected as they stop. */
  let failedWith: JobFailedError | undefined;
  const failedCollected: Record<string, unknown[]> = {};
  const failedMetrics: OperatorMetrics[] = [];
  let whenAllStopped: () => void = () => {};
  const stoppedWorkers = new Set<number>();
  const stopped = (t: number) => {
    stoppedWorkers.add(t);
    if (stoppedWorkers.size === threads) whenAllStopped();
  };
  const ticker = options.onProgress ? setInterval(() => options.onProgress!(sumProgress(progress)), 500) : undefined;
  // The latest samples of each thread, handed to the observer about once a second.
  const observer = options.observer;
  const samples: SubtaskSample[][] = Array.from({ length: threads }, () => []);
  const sampleNow = () => observer?.onSamples?.(samples.flat());
  const sampler = observer?.onSamples === undefined ? undefined : setInterval(sampleNow, SAMPLE_INTERVAL_MS);
  // What a worker thread must register and evaluate before it loads the job, by what loading it here needed.
  const loaders = { plain: plainNodeSuffices(), preload: entriesToPreload() };
  const collector = traceCollectorFor(run.options.analysis, run.graph, threads);
  // A thread that never reports ready (loading the job, opening operators, restoring state) would leave the run
  // waiting in silence: it is named every so often instead, counted from 1 as subtasks are in printed output. Slow
  // is allowed (a large restore), so this only warns.
  const starting = new Set(Array.from({ length: threads }, (_, t) => t));
  const startWarningMs = options.startWarningMs ?? START_WARNING_MS;
  let waitedMs = 0;
  const startWatch = setInterval(() => {
    waitedMs += startWarningMs;
    const names = [...starting].map((t) => `${t + 1}`).join(', ');
    run.log(
      `warning: thread${starting.size > 1 ? 's' : ''} ${names} of ${threads} not started after ${waitedMs / 1000} s ` +
        '(still loading the job, opening operators or restoring state)',
    );
  }, startWarningMs);
  startWatch.unref();
  try {
    await new Promise<void>((resolve, reject) => {
      fail = (error: unknown) => reject(error instanceof JobFailedError ? error : new JobFailedError(toWire(error)));
      // Worker threads first: they start while this thread opens and restores thread 0's share.
      for (const t of [...Array.from({ length: threads - 1 }, (_, i) => i + 1), 0]) {
        const peerPorts = ports[t]!;
        const transfer = peerPorts.filter((p): p is MessagePort => p !== undefined);
        const setup: WorkerSetup = {
          thread: t,
          threads,
          spec,
          executionId: run.executionId,
          checkpointRoot: options.checkpoint?.dir,
          inlineStateBytes: options.checkpoint?.inlineStateBytes,
          restore: run.restore,
          logs: options.logs,
          sample: observer?.onSamples !== undefined,
          trace: collector !== undefined,
          activity: activity.buffer as SharedArrayBuffer,
          alignment,
        };
        const workerData = { ...setup, ports: peerPorts };
        // Thread 0 runs on this thread, which has the job loaded and planned already: one worker start-up fewer.
        const w =
          options.workerHost?.spawn(workerData, transfer) ??
          (t === 0
            ? new LocalWorker(workerData, {
                plan: run.plan,
                logs: run.logs,
                copyFunctions: options.copyFunctions === true,
              })
            : new Worker(workerEntry, { workerData: { ...workerData, ...loaders }, transferList: transfer }));
        workers.push(w);
        w.on('message', (r: WorkerReport) => {
          switch (r.t) {
            case 'ready':
              starting.delete(t);
              if (starting.size === 0) {
                clearInterval(startWatch);
                if (result.cancelled) send({ t: 'cancel' });
                else {
                  coordinator?.start();
                  send({ t: 'start' });
                  started = true;
                  observer?.onAttemptStarted?.(run.attempt);
                }
              }
              break;
            case 'progress':
              progress[t] = r.p;
              if (r.m !== undefined) samples[t] = r.m;
              break;
            case 'acks':
              for (const a of r.acks) coordinator?.onAck(a.id, a.ref, a.alignmentMs, a.references);
              break;
            case 'drained':
              coordinator?.onDrained();
              break;
            case 'trace':
              collector?.add(r.trace);
              break;
            case 'finished':
              progress[t] = r.p;
              samples[t] = r.m;
              if (failedWith !== undefined) {
                for (const [id, vs] of Object.entries(r.collected)) (failedCollected[id] ??= []).push(...vs);
                addMetrics(failedMetrics, r.metrics);
                stopped(t);
                break;
              }
              for (const [id, vs] of Object.entries(r.collected)) (result.collected[id] ??= []).push(...vs);
              addMetrics(result.operatorMetrics, r.metrics);
              for (const [id, n] of Object.entries(r.side)) {
                result.unconsumedSideRecords[id] = (result.unconsumedSideRecords[id] ?? 0) + n;
              }
              if (++finished === threads) resolve();
              break;
            case 'failed':
              progress[t] = r.p;
              if (r.m.length > 0) samples[t] = r.m;
              for (const [id, vs] of Object.entries(r.collected)) (failedCollected[id] ??= []).push(...vs);
              addMetrics(failedMetrics, r.metrics);
              stopped(t);
              fail(new JobFailedError(r.error));
              break;
          }
        });
        w.on('error', (e) => {
          stopped(t);
          fail(e);
        });
        w.on('exit', (code) => {
          stopped(t);
          if (code !== 0) fail(new Error(`worker thread ${t} exited with code ${code}`));
        });
      }
    });
  } catch (e) {
    failedWith = e instanceof JobFailedError ? e : new JobFailedError(toWire(e));
    // No checkpoint completes after the failure. The other workers stop where they are and report what they
    // collected and counted (bounded: a worker that does not stop in time is terminated with its share).
    await coordinator?.stop();
    await new Promise<void>((resolve) => {
      whenAllStopped = resolve;
      if (stoppedWorkers.size === threads) resolve();
      send({ t: 'cancel' });
      setTimeout(resolve, WORKER_STOP_TIMEOUT_MS).unref();
    });
    throw new AttemptFailure(failedWith, started, failedCollected, sumProgress(progress), failedMetrics);
  } finally {
    clearInterval(startWatch);
    stopServing();
    await coordinator?.stop();
    if (ticker) clearInterval(ticker);
    if (sampler) clearInterval(sampler);
    sampleNow();
    options.signal?.removeEventListener('abort', cancel);
    // Threads that finished end on their own, so what they printed reaches stdout (terminate() drops a worker's
    // stdout not yet handed to this thread); a thread still busy after a failure or one that hangs is terminated.
    await Promise.all(workers.map((w) => (finished === threads ? exitOrTerminate(w, 10_000) : w.terminate())));
  }
  collector?.finish();
  const total = sumProgress(progress);
  options.onProgress?.(total);
  result.sourceRecords = total.sourceRecords;
  result.sinkRecords = total.sinkRecords;
  return result;
}

/** How long the workers of a failed attempt get to stop and report before they are terminated. */
const WORKER_STOP_TIMEOUT_MS = 5_000;
/** Time between warnings about threads that have not started yet. */
const START_WARNING_MS = 30_000;
