import { randomBytes } from 'node:crypto';
import type { BottleneckReport } from '../analysis/bottleneck-report.js';
import type { ScalingDecision } from '../autoscaler/autoscaler.js';
import type { CheckpointStats } from '../checkpoint/checkpoint-coordinator.js';
import type { WireError } from '../errors-wire.js';
import type { ExecutionGraph } from '../execution-graph.js';
import type { RunObserver, RunOutcome } from '../metrics/run-observer.js';
import type { SubtaskSample } from '../metrics/subtask-sample.js';
import { type AttemptBase, type MetricPoint, nextBase, toPoint, ZERO_BASE } from './metric-point.js';

/** Flink's job states that Sluice's jobs go through. */
export type JobState = 'CREATED' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED' | 'RESTARTING';

/** A vertex of the job graph as the monitor knows it. */
export interface VertexInfo {
  id: number;
  name: string;
  parallelism: number;
  /** Names of the chained operators, in chain order. */
  operators: string[];
  /** Incoming edges: source vertex and Flink's ship strategy name (HASH, FORWARD, REBALANCE, BROADCAST, …). */
  inputs: { from: number; shipStrategy: string }[];
}

/** One subtask: its latest figures, status and history. */
export interface SubtaskView {
  status: string;
  startTime: number;
  endTime: number;
  attempt: number;
  latest: MetricPoint | undefined;
  /** The last {@link JobMonitorOptions.historySize} points, oldest first. */
  history: MetricPoint[];
}

/** One checkpoint as the history lists it. */
export interface CheckpointEntry {
  id: number;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  triggerTimestamp: number;
  latestAckTimestamp: number;
  durationMs: number;
  alignmentMs: number;
  bytes: number;
  subtasks: number;
  final: boolean;
}

/** A failure of the job (one per failed attempt). */
export interface ExceptionEntry {
  timestamp: number;
  error: WireError;
  /** The vertex whose operator failed, when the error names one. */
  vertex: number | undefined;
}

export interface JobMonitorOptions {
  /** 32 hex digits; generated when not given. */
  jobId?: string;
  name: string;
  /** Engine options of the run (parallelism, checkpointing, …), shown as the job's configuration. */
  config?: Record<string, unknown>;
  maxParallelism?: number;
  /** Points kept per subtask for plots (default 300: five minutes at one sample a second). */
  historySize?: number;
  /** Completed and failed checkpoints kept in the history (default 10, as Flink). */
  checkpointHistorySize?: number;
}

const SHIP_STRATEGY: Record<string, string> = {
  forward: 'FORWARD',
  rebalance: 'REBALANCE',
  shuffle: 'SHUFFLE',
  broadcast: 'BROADCAST',
  global: 'GLOBAL',
  hash: 'HASH',
};

/** A new job id: 32 hex digits, as Flink's. */
export function newJobId(): string {
  return randomBytes(16).toString('hex');
}

/** Autoscaler decisions a job model keeps: over eight minutes of them at the default 5 s window. */
const SCALING_DECISIONS_KEPT = 100;

/**
 * The live model of one job: what the REST API, the Prometheus endpoint and the job's `job.json` are built from.
 * It watches a run as its {@link RunObserver} (pass it as `observer` to `env.execute` / `runPlan`) and keeps the
 * graph, per-subtask figures with a short history, checkpoints, exceptions and the job's state and times. Reading it
 * is cheap and never touches the running job.
 */
export class JobMonitor implements RunObserver {
  readonly jobId: string;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  /** The job's max parallelism (set by the runner once the plan is built). */
  maxParallelism: number;
  state: JobState = 'CREATED';
  readonly createdAt = Date.now();
  startTime = -1;
  endTime = -1;
  /** Epoch ms of each state's first entry (Flink's `timestamps`). */
  readonly timestamps: Partial<Record<JobState, number>> = { CREATED: this.createdAt };
  restarts = 0;
  attempt = 0;
  vertices: VertexInfo[] = [];
  /** subtasks[vertex][index]. */
  subtasks: SubtaskView[][] = [];
  readonly checkpoints: CheckpointEntry[] = [];
  checkpointCounts = { completed: 0, failed: 0, inProgress: 0 };
  readonly exceptions: ExceptionEntry[] = [];
  /** The autoscaler's recent decisions, oldest first (the last {@link SCALING_DECISIONS_KEPT}), and how often it rescaled the job. */
  readonly scalingDecisions: ScalingDecision[] = [];
  rescales = 0;
  private readonly historySize: number;
  private readonly checkpointHistorySize: number;
  private bases: AttemptBase[][] = [];
  private previous: (SubtaskSample | { time: number } | undefined)[][] = [];
  private lastSamples: (SubtaskSample | undefined)[][] = [];
  private checkpointedSize: number[][] = [];
  private attemptStart = 0;
  /** Bumped on every change; writers of job.json skip unchanged models. */
  version = 0;
  /** The latest critical-path report, when the run is analysed (`sluice analyze`). */
  criticalPath: BottleneckReport | undefined;

  /** A window's critical-path report (see `RunOptions.analysis`): served as `/jobs/:jid/critical-path`. */
  onBottleneckReport(report: BottleneckReport): void {
    this.criticalPath = report;
    this.version++;
  }

  constructor(options: JobMonitorOptions) {
    this.jobId = options.jobId ?? newJobId();
    this.name = options.name;
    this.config = options.config ?? {};
    this.maxParallelism = options.maxParallelism ?? 128;
    this.historySize = options.historySize ?? 300;
    this.checkpointHistorySize = options.checkpointHistorySize ?? 10;
  }

  private enter(state: JobState, time: number): void {
    this.state = state;
    this.timestamps[state] ??= time;
    this.version++;
  }

  onGraph(graph: ExecutionGraph): void {
    this.vertices = graph.vertices.map((v) => ({
      id: v.id,
      name: v.name,
      parallelism: v.parallelism,
      operators: v.nodes.map((n) => n.name),
      inputs: v.inputs
        .flat()
        .map((r) => ({ from: r.edge.from, shipStrategy: SHIP_STRATEGY[r.edge.partitioning.kind] ?? 'UNKNOWN' })),
    }));
    const per = <T>(f: () => T) => this.vertices.map((v) => Array.from({ length: v.parallelism }, f));
    this.subtasks = per(() => ({
      status: 'CREATED',
      startTime: -1,
      endTime: -1,
      attempt: 0,
      latest: undefined,
      history: [],
    }));
    this.bases = per(() => ZERO_BASE);
    this.previous = per(() => undefined);
    this.lastSamples = per(() => undefined);
    this.checkpointedSize = per(() => 0);
    this.version++;
  }

  onScalingDecision(decision: ScalingDecision): void {
    this.scalingDecisions.push(decision);
    if (this.scalingDecisions.length > SCALING_DECISIONS_KEPT) this.scalingDecisions.shift();
    if (decision.action === 'rescale') this.rescales++;
    this.version++;
  }

  onAttemptStarted(attempt: number): void {
    const now = Date.now();
    this.attempt = attempt;
    this.attemptStart = now;
    if (this.startTime < 0) this.startTime = now;
    for (const list of this.subtasks) {
      for (const s of list) {
        s.status = 'RUNNING';
        s.attempt = attempt - 1;
        s.startTime = now;
        s.endTime = -1;
      }
    }
    this.previous = this.previous.map((l) => l.map(() => ({ time: now })));
    this.enter('RUNNING', now);
  }

  onSamples(samples: readonly SubtaskSample[]): void {
    for (const sample of samples) {
      const view = this.subtasks[sample.vertex]?.[sample.subtask];
      if (view === undefined) continue;
      const v = sample.vertex;
      const i = sample.subtask;
      const prev = this.previous[v]![i] ?? { time: this.attemptStart };
      if ('status' in prev && prev.time === sample.time && prev.busyMs === sample.busyMs) continue; // stale repeat
      const point = toPoint(sample, prev, this.bases[v]![i]!, this.checkpointedSize[v]![i]!, view.latest);
      this.previous[v]![i] = sample;
      this.lastSamples[v]![i] = sample;
      view.latest = point;
      view.history.push(point);
      if (view.history.length > this.historySize) view.history.splice(0, view.history.length - this.historySize);
      if (sample.status !== 'RUNNING' && view.status !== sample.status) {
        view.status = sample.status;
        if (sample.status === 'FINISHED' || sample.status === 'CANCELED') view.endTime = sample.time;
      } else if (sample.status === 'RUNNING') view.status = 'RUNNING';
    }
    this.version++;
  }

  onCheckpointTriggered(id: number, time: number): void {
    this.checkpointCounts.inProgress++;
    this.pushCheckpoint({
      id,
      status: 'IN_PROGRESS',
      triggerTimestamp: time,
      latestAckTimestamp: -1,
      durationMs: 0,
      alignmentMs: 0,
      bytes: 0,
      subtasks: 0,
      final: false,
    });
  }

  onCheckpointCompleted(stats: CheckpointStats): void {
    const entry = this.checkpoints.find((c) => c.id === stats.id);
    if (entry?.status === 'IN_PROGRESS') this.checkpointCounts.inProgress--;
    this.checkpointCounts.completed++;
    const done: CheckpointEntry = {
      id: stats.id,
      status: 'COMPLETED',
      triggerTimestamp: stats.triggeredAt,
      latestAckTimestamp: stats.completedAt,
      durationMs: stats.durationMs,
      alignmentMs: stats.alignmentMs,
      bytes: stats.bytes,
      subtasks: stats.subtasks,
      final: stats.final,
    };
    if (entry === undefined) this.pushCheckpoint(done);
    else Object.assign(entry, done);
    for (const f of stats.files) {
      const m = /^s-(\d+)-(\d+)\.state$/.exec(f.name);
      const row = m === null ? undefined : this.checkpointedSize[Number(m[1])];
      if (row !== undefined && m !== null && Number(m[2]) < row.length) row[Number(m[2])] = f.size;
    }
    this.version++;
  }

  onCheckpointAbandoned(id: number, time: number): void {
    const entry = this.checkpoints.find((c) => c.id === id);
    if (entry?.status === 'IN_PROGRESS') this.checkpointCounts.inProgress--;
    this.checkpointCounts.failed++;
    if (entry !== undefined) {
      entry.status = 'FAILED';
      entry.latestAckTimestamp = time;
      entry.durationMs = time - entry.triggerTimestamp;
    }
    this.version++;
  }

  private pushCheckpoint(entry: CheckpointEntry): void {
    this.checkpoints.unshift(entry);
    if (this.checkpoints.length > this.checkpointHistorySize) this.checkpoints.length = this.checkpointHistorySize;
    this.version++;
  }

  onRestart(error: WireError, time: number): void {
    this.restarts++;
    this.recordException(error, time);
    // Counters of the next attempt start from 0: what this one counted becomes the base.
    this.bases = this.bases.map((row, v) => row.map((b, i) => nextBase(b, this.lastSamples[v]![i])));
    this.lastSamples = this.lastSamples.map((l) => l.map(() => undefined));
    this.previous = this.previous.map((l) => l.map(() => undefined));
    for (const list of this.subtasks) for (const s of list) s.status = 'CANCELED';
    this.abandonInProgress(time);
    this.enter('RESTARTING', time);
  }

  onEnd(outcome: RunOutcome, time: number): void {
    if (outcome.state === 'FAILED') this.recordException(outcome.error, time);
    this.abandonInProgress(time);
    for (const list of this.subtasks) {
      for (const s of list) {
        if (s.status === 'FINISHED') continue;
        s.status = outcome.state === 'FINISHED' ? 'FINISHED' : outcome.state === 'FAILED' ? 'FAILED' : 'CANCELED';
        if (s.endTime < 0) s.endTime = time;
      }
    }
    this.endTime = time;
    this.enter(outcome.state, time);
  }

  private abandonInProgress(time: number): void {
    for (const c of this.checkpoints) if (c.status === 'IN_PROGRESS') this.onCheckpointAbandoned(c.id, time);
  }

  private recordException(error: WireError, time: number): void {
    const op = error.operator ?? error.cause?.operator;
    const vertex = op === undefined ? undefined : this.vertices.find((v) => v.operators.includes(op))?.id;
    this.exceptions.unshift({ timestamp: time, error, vertex });
    if (this.exceptions.length > 20) this.exceptions.length = 20;
    this.version++;
  }

  /** True once the job reached a terminal state. */
  get ended(): boolean {
    return this.state === 'FINISHED' || this.state === 'FAILED' || this.state === 'CANCELED';
  }

  /** Milliseconds the job has been running (until its end). */
  get duration(): number {
    if (this.startTime < 0) return 0;
    return (this.endTime < 0 ? Date.now() : this.endTime) - this.startTime;
  }
}
