/**
 * The REST documents the dashboard reads, in Flink's shapes and field names. Every field is optional: a server may
 * leave any out (an older version, a job that never started), and the pages show "–" for what is missing.
 */

/** A job state as Flink names it (RUNNING, FINISHED, FAILED, CANCELED, RESTARTING, …). */
export type JobState = string;

/** `GET /overview`. */
export interface ClusterOverview {
  taskmanagers?: number;
  'slots-total'?: number;
  'slots-available'?: number;
  'jobs-running'?: number;
  'jobs-finished'?: number;
  'jobs-cancelled'?: number;
  'jobs-failed'?: number;
  'flink-version'?: string;
}

/** One entry of `GET /jobs/overview`. */
export interface JobSummary {
  jid: string;
  name?: string;
  state?: JobState;
  'start-time'?: number;
  'end-time'?: number;
  duration?: number;
  'last-modification'?: number;
  tasks?: Record<string, number>;
}

/** A vertex's I/O metrics as `GET /jobs/:jid` gives them (Sluice adds the per-second times Flink keeps elsewhere). */
export interface VertexMetrics {
  'read-records'?: number;
  'write-records'?: number;
  'read-bytes'?: number;
  'write-bytes'?: number;
  'busy-time-ms-per-second'?: number;
  'backpressured-time-ms-per-second'?: number;
  'idle-time-ms-per-second'?: number;
  'accumulated-busy-time'?: number;
  'accumulated-backpressured-time'?: number;
  'accumulated-idle-time'?: number;
}

/** One vertex of `GET /jobs/:jid`. */
export interface VertexSummary {
  id: string;
  name?: string;
  parallelism?: number;
  status?: string;
  'start-time'?: number;
  duration?: number;
  tasks?: Record<string, number>;
  metrics?: VertexMetrics;
}

/** A node of the job's plan; `inputs` are the edges into it. */
export interface PlanNode {
  id: string;
  description?: string;
  operator?: string;
  parallelism?: number;
  inputs?: { id: string; ship_strategy?: string; exchange?: string; num?: number }[];
}

/** `GET /jobs/:jid`. */
export interface JobDetails {
  jid: string;
  name?: string;
  state?: JobState;
  'start-time'?: number;
  'end-time'?: number;
  duration?: number;
  now?: number;
  maxParallelism?: number;
  vertices?: VertexSummary[];
  plan?: { nodes?: PlanNode[] };
}

/** One sample of `GET /jobs/:jid/metrics-history` (Sluice's): a vertex's rates at `time` (epoch ms). */
export interface MetricsSample {
  time: number;
  numRecordsInPerSecond?: number;
  numRecordsOutPerSecond?: number;
  busyTimeMsPerSecond?: number;
  backPressuredTimeMsPerSecond?: number;
  idleTimeMsPerSecond?: number;
  /** Epoch ms; null while the vertex has no watermark yet. */
  currentInputWatermark?: number | null;
}

/** `GET /jobs/:jid/metrics-history`. */
export interface MetricsHistory {
  jid?: string;
  vertices?: { id: string; name?: string; samples?: MetricsSample[] }[];
}

/** One checkpoint of `GET /jobs/:jid/checkpoints`. */
export interface CheckpointStats {
  id: number;
  status?: string;
  trigger_timestamp?: number;
  latest_ack_timestamp?: number;
  end_to_end_duration?: number;
  state_size?: number;
  checkpointed_size?: number;
  alignment_duration?: number;
  alignment_buffered?: number;
  num_subtasks?: number;
  num_acknowledged_subtasks?: number;
  checkpoint_type?: string;
  external_path?: string | null;
}

/** `GET /jobs/:jid/checkpoints`. */
export interface CheckpointsDocument {
  counts?: { total?: number; completed?: number; failed?: number; in_progress?: number; restored?: number };
  latest?: { completed?: CheckpointStats | null; failed?: CheckpointStats | null; savepoint?: CheckpointStats | null };
  history?: CheckpointStats[];
}

/** One failure of `GET /jobs/:jid/exceptions`; Sluice adds the failing `operator` and `record`. */
export interface ExceptionEntry {
  exceptionName?: string;
  message?: string;
  stacktrace?: string;
  timestamp?: number;
  taskName?: string | null;
  operator?: string | null;
  record?: unknown;
}

/** `GET /jobs/:jid/exceptions`. */
export interface ExceptionsDocument {
  'root-exception'?: string | null;
  timestamp?: number | null;
  exceptionHistory?: { entries?: ExceptionEntry[]; truncated?: boolean };
}

/** One structured log line (pino's fields: `time`, `level`, `msg`, plus the job's `vertex` and `subtask`). */
export interface LogLine {
  line?: number;
  time?: number | string;
  level?: number | string;
  msg?: string;
  vertex?: string | number;
  subtask?: number;
  [field: string]: unknown;
}

/** `GET /jobs/:jid/logs?offset=&limit=&q=`: a page of lines; `next-offset` continues it. */
export interface LogPage {
  offset?: number;
  'next-offset'?: number;
  lines?: LogLine[];
}

/** `GET /jobs/:jid/savepoints/:requestId`. */
export interface SavepointStatus {
  status?: { id?: string };
  operation?: { location?: string; 'failure-cause'?: { class?: string; 'stack-trace'?: string } | string };
}

/** `POST /jobs`: a job file with arguments, or SQL text. */
export type SubmitRequest =
  | { file: string; args?: string[]; parallelism?: number }
  | { sql: string; parallelism?: number };

/** One vertex's inputs and outcome in an autoscaler decision (Sluice's `GET /jobs/:jid/autoscaler`). */
export interface ScalingVertex {
  id: string;
  name?: string;
  parallelism?: number;
  'proposed-parallelism'?: number;
  'observed-rate'?: number;
  'target-rate'?: number;
  /** Records per second of busy time, per subtask; null when too little busy time was measured. */
  'true-processing-rate'?: number | null;
  /** Busiest subtask's busy share, 0–1. */
  busy?: number;
  /** The busy share, 0–1, the target rate needs at the current parallelism; null when not sized. */
  'needed-utilization'?: number | null;
  reason?: string;
}

/** One autoscaler decision: `rescale` changed a parallelism, `keep` left it, `hold` wanted more but the CPU is full. */
export interface ScalingDecision {
  number: number;
  time?: number;
  policy?: string;
  'window-ms'?: number;
  action?: string;
  summary?: string;
  'cpu-cores'?: number;
  cores?: number;
  vertices?: ScalingVertex[];
}

/** `GET /jobs/:jid/autoscaler` (Sluice's): decisions newest first. */
export interface AutoscalerDocument {
  enabled?: boolean;
  rescales?: number;
  decisions?: ScalingDecision[];
}

/** One vertex of the critical-path report (percentages 0–100). */
export interface VertexReport {
  vertex: number;
  name?: string;
  parallelism?: number;
  busyPct?: number;
  backPressuredPct?: number;
  recordsPerSecond?: number;
  /** Records per second of step time, per subtask; null without steps. */
  trueRate?: number | null;
  criticalPct?: number;
  operators?: { name: string; sharePct: number }[];
  /** Present when one subtask does well over an even share of the vertex's work (a hot key). */
  hotSubtask?: { subtask: number; sharePct: number };
}

/** The critical-path report of the latest window (what `sluice analyze` prints). */
export interface BottleneckReport {
  from?: number;
  to?: number;
  final?: boolean;
  truncated?: boolean;
  vertices?: VertexReport[];
  other?: { communication?: number; overhead?: number; unknown?: number };
  bottleneck?: { vertex: number; name?: string; reason?: string };
}

/** `GET /jobs/:jid/critical-path` (Sluice's): null until a run records activity traces. */
export interface CriticalPathDocument {
  report?: BottleneckReport | null;
}
