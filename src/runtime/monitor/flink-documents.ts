import type { JobMonitor, SubtaskView, VertexInfo } from './job-monitor.js';
import { METRIC_NAMES, type MetricPoint } from './metric-point.js';

/**
 * The job's documents in Flink's REST shapes and field names (Flink 1.18's `/jobs/...` answers), built from a
 * {@link JobMonitor}. Where Sluice has no such concept the field holds Flink's neutral value (`host: "localhost"`,
 * byte counts 0 with `*-complete: false`), so tools that expect the field find it.
 */

const TASK_STATES = [
  'CREATED',
  'SCHEDULED',
  'DEPLOYING',
  'RUNNING',
  'FINISHED',
  'CANCELING',
  'CANCELED',
  'FAILED',
  'RECONCILING',
  'INITIALIZING',
] as const;

function taskCounts(statuses: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of TASK_STATES) counts[s.toLowerCase()] = 0;
  for (const s of statuses) counts[s.toLowerCase()] = (counts[s.toLowerCase()] ?? 0) + 1;
  return counts;
}

function statusCounts(statuses: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of TASK_STATES) counts[s] = 0;
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

function vertexStatus(subtasks: readonly SubtaskView[]): string {
  const has = (s: string) => subtasks.some((t) => t.status === s);
  if (has('FAILED')) return 'FAILED';
  if (has('RUNNING')) return 'RUNNING';
  if (has('CANCELED')) return 'CANCELED';
  if (subtasks.length > 0 && subtasks.every((t) => t.status === 'FINISHED')) return 'FINISHED';
  return 'CREATED';
}

function allSubtasks(m: JobMonitor): SubtaskView[] {
  return m.subtasks.flat();
}

/** One entry of `GET /jobs/overview`. */
export function overviewEntry(m: JobMonitor): Record<string, unknown> {
  const statuses = allSubtasks(m).map((s) => s.status);
  return {
    jid: m.jobId,
    name: m.name,
    state: m.state,
    'start-time': m.startTime < 0 ? m.createdAt : m.startTime,
    'end-time': m.endTime,
    duration: m.duration,
    'last-modification': Math.max(...Object.values(m.timestamps).map(Number)),
    tasks: { total: statuses.length, ...taskCounts(statuses) },
  };
}

function span(t: { startTime: number; endTime: number }): Record<string, number> {
  const end = t.endTime < 0 ? Date.now() : t.endTime;
  return { 'start-time': t.startTime, 'end-time': t.endTime, duration: t.startTime < 0 ? -1 : end - t.startTime };
}

/** Flink's per-vertex and per-subtask `metrics` block (I/O figures); Sluice counts records, not bytes. */
function ioMetrics(points: readonly (MetricPoint | undefined)[]): Record<string, unknown> {
  let readRecords = 0;
  let writeRecords = 0;
  let busy = 0;
  let backPressured = 0;
  let idle = 0;
  for (const p of points) {
    readRecords += p?.numRecordsIn ?? 0;
    writeRecords += p?.numRecordsOut ?? 0;
    busy = Math.max(busy, p?.busyTimeMsPerSecond ?? 0);
    backPressured = Math.max(backPressured, p?.backPressuredTimeMsPerSecond ?? 0);
    idle = Math.max(idle, p?.idleTimeMsPerSecond ?? 0);
  }
  return {
    'read-bytes': 0,
    'read-bytes-complete': false,
    'write-bytes': 0,
    'write-bytes-complete': false,
    'read-records': readRecords,
    'read-records-complete': true,
    'write-records': writeRecords,
    'write-records-complete': true,
    'accumulated-backpressured-time': points.reduce((n, p) => n + (p?.accumulatedBackPressuredTimeMs ?? 0), 0),
    'accumulated-idle-time': points.reduce((n, p) => n + (p?.accumulatedIdleTimeMs ?? 0), 0),
    'accumulated-busy-time': points.reduce((n, p) => n + (p?.accumulatedBusyTimeMs ?? 0), 0),
    // Sluice adds the current per-second times (the highest over the subtasks), which its dashboard colours by.
    'busy-time-ms-per-second': busy,
    'backpressured-time-ms-per-second': backPressured,
    'idle-time-ms-per-second': idle,
  };
}

function vertexSummary(m: JobMonitor, v: VertexInfo): Record<string, unknown> {
  const subtasks = m.subtasks[v.id] ?? [];
  const starts = subtasks.map((s) => s.startTime).filter((t) => t >= 0);
  const ends = subtasks.map((s) => s.endTime);
  const startTime = starts.length === 0 ? -1 : Math.min(...starts);
  const endTime = ends.length > 0 && ends.every((t) => t >= 0) ? Math.max(...ends) : -1;
  return {
    id: String(v.id),
    name: v.name,
    maxParallelism: m.maxParallelism,
    parallelism: v.parallelism,
    status: vertexStatus(subtasks),
    ...span({ startTime, endTime }),
    tasks: statusCounts(subtasks.map((s) => s.status)),
    metrics: ioMetrics(subtasks.map((s) => s.latest)),
  };
}

/** `GET /jobs/:jid/plan` (also the `plan` of the job details). */
export function planDocument(m: JobMonitor): Record<string, unknown> {
  return {
    jid: m.jobId,
    name: m.name,
    type: 'STREAMING',
    nodes: m.vertices.map((v) => ({
      id: String(v.id),
      parallelism: v.parallelism,
      operator: '',
      operator_strategy: '',
      description: v.operators.join('<br/>+- '),
      ...(v.inputs.length === 0
        ? {}
        : {
            inputs: v.inputs.map((e, num) => ({
              num,
              id: String(e.from),
              ship_strategy: e.shipStrategy,
              exchange: 'pipelined_bounded',
            })),
          }),
      optimizer_properties: {},
    })),
  };
}

/** `GET /jobs/:jid`. */
export function jobDetails(m: JobMonitor): Record<string, unknown> {
  return {
    jid: m.jobId,
    name: m.name,
    isStoppable: false,
    state: m.state,
    'job-type': 'STREAMING',
    ...span({ startTime: m.startTime < 0 ? m.createdAt : m.startTime, endTime: m.endTime }),
    maxParallelism: m.maxParallelism,
    now: Date.now(),
    timestamps: m.timestamps,
    vertices: m.vertices.map((v) => vertexSummary(m, v)),
    'status-counts': statusCounts(m.vertices.map((v) => vertexStatus(m.subtasks[v.id] ?? []))),
    plan: planDocument(m),
  };
}

/** `GET /jobs/:jid/vertices/:vid`. */
export function vertexDetails(m: JobMonitor, v: VertexInfo): Record<string, unknown> {
  return {
    id: String(v.id),
    name: v.name,
    maxParallelism: m.maxParallelism,
    parallelism: v.parallelism,
    now: Date.now(),
    subtasks: (m.subtasks[v.id] ?? []).map((s, i) => ({
      subtask: i,
      status: s.status,
      attempt: s.attempt,
      endpoint: 'localhost',
      host: 'localhost',
      'taskmanager-id': 'local',
      ...span(s),
      metrics: ioMetrics([s.latest]),
    })),
  };
}

/** Flink's levels: ratio ≤ 0.10 ok, ≤ 0.5 low, above high. */
export function backpressureLevel(ratio: number): 'ok' | 'low' | 'high' {
  return ratio <= 0.1 ? 'ok' : ratio <= 0.5 ? 'low' : 'high';
}

/** `GET /jobs/:jid/vertices/:vid/backpressure`, from backPressuredTimeMsPerSecond (as Flink since 1.13). */
export function backpressureDocument(m: JobMonitor, v: VertexInfo): Record<string, unknown> {
  const subtasks = (m.subtasks[v.id] ?? []).map((s, i) => {
    const p = s.latest;
    const ratio = (p?.backPressuredTimeMsPerSecond ?? 0) / 1000;
    return {
      subtask: i,
      attemptNumber: s.attempt,
      'backpressure-level': backpressureLevel(ratio),
      ratio,
      idleRatio: (p?.idleTimeMsPerSecond ?? 0) / 1000,
      busyRatio: (p?.busyTimeMsPerSecond ?? 0) / 1000,
    };
  });
  const worst = Math.max(0, ...subtasks.map((s) => s.ratio));
  const times = (m.subtasks[v.id] ?? []).map((s) => s.latest?.time ?? 0);
  return {
    status: 'ok',
    'backpressure-level': backpressureLevel(worst),
    'end-timestamp': Math.max(0, ...times),
    subtasks,
  };
}

/** `GET /jobs/:jid/vertices/:vid/watermarks`: values as strings, as Flink sends them. */
export function watermarksDocument(m: JobMonitor, v: VertexInfo): { id: string; value: string }[] {
  const out: { id: string; value: string }[] = [];
  (m.subtasks[v.id] ?? []).forEach((s, i) => {
    const wm = s.latest?.currentInputWatermark;
    // Flink shows Long.MIN_VALUE before the first watermark.
    out.push({
      id: `${i}.currentInputWatermark`,
      value: wm === null || wm === undefined ? '-9223372036854775808' : String(wm),
    });
  });
  return out;
}

/**
 * `GET /jobs/:jid/vertices/:vid/subtasks/metrics?get=a,b`: min, max, avg and sum over the subtasks; without `get`,
 * the names that can be asked for (`[{id}]`), as Flink.
 */
export function subtaskMetricsDocument(
  m: JobMonitor,
  v: VertexInfo,
  get: string | undefined,
): Record<string, unknown>[] {
  if (get === undefined || get === '') return METRIC_NAMES.map((id) => ({ id }));
  const points = (m.subtasks[v.id] ?? []).map((s) => s.latest);
  const out: Record<string, unknown>[] = [];
  for (const id of get.split(',').map((x) => x.trim())) {
    if (!(METRIC_NAMES as readonly string[]).includes(id)) continue;
    const values = points
      .map((p) => (p === undefined ? undefined : p[id as keyof MetricPoint]))
      .filter((x): x is number => typeof x === 'number');
    if (values.length === 0) continue;
    const sum = values.reduce((a, b) => a + b, 0);
    out.push({ id, min: Math.min(...values), max: Math.max(...values), avg: sum / values.length, sum });
  }
  return out;
}
