import type { WireError } from '../errors-wire.js';
import { autoscalerDocument } from './autoscaler-document.js';
import {
  backpressureDocument,
  jobDetails,
  overviewEntry,
  planDocument,
  subtaskMetricsDocument,
  vertexDetails,
  watermarksDocument,
} from './flink-documents.js';
import type { CheckpointEntry, JobMonitor } from './job-monitor.js';
import { METRIC_NAMES } from './metric-point.js';

function stats(values: readonly number[]): { min: number; max: number; avg: number } {
  if (values.length === 0) return { min: 0, max: 0, avg: 0 };
  return {
    min: Math.min(...values),
    max: Math.max(...values),
    avg: Math.round(values.reduce((a, b) => a + b, 0) / values.length),
  };
}

function checkpointJson(c: CheckpointEntry): Record<string, unknown> {
  return {
    className: c.status === 'COMPLETED' ? 'completed' : c.status === 'FAILED' ? 'failed' : 'in_progress',
    id: c.id,
    status: c.status,
    is_savepoint: false,
    savepointFormat: null,
    trigger_timestamp: c.triggerTimestamp,
    latest_ack_timestamp: c.latestAckTimestamp,
    checkpointed_size: c.bytes,
    state_size: c.bytes,
    end_to_end_duration: c.durationMs,
    // Sluice's alignment is measured in time, not buffered bytes: `alignment_duration` (ms, the longest subtask's).
    alignment_buffered: 0,
    alignment_duration: c.alignmentMs,
    processed_data: 0,
    persisted_data: 0,
    num_subtasks: c.subtasks,
    num_acknowledged_subtasks: c.status === 'COMPLETED' ? c.subtasks : 0,
    checkpoint_type: c.final ? 'CHECKPOINT (final)' : 'CHECKPOINT',
    tasks: {},
    external_path: null,
    discarded: false,
  };
}

/** `GET /jobs/:jid/checkpoints`. */
export function checkpointsDocument(m: JobMonitor): Record<string, unknown> {
  const completed = m.checkpoints.filter((c) => c.status === 'COMPLETED');
  const failed = m.checkpoints.find((c) => c.status === 'FAILED');
  const counts = m.checkpointCounts;
  return {
    counts: {
      restored: 0,
      total: counts.completed + counts.failed + counts.inProgress,
      in_progress: counts.inProgress,
      completed: counts.completed,
      failed: counts.failed,
    },
    summary: {
      checkpointed_size: stats(completed.map((c) => c.bytes)),
      state_size: stats(completed.map((c) => c.bytes)),
      end_to_end_duration: stats(completed.map((c) => c.durationMs)),
      alignment_buffered: stats([]),
      alignment_duration: stats(completed.map((c) => c.alignmentMs)),
      processed_data: stats([]),
      persisted_data: stats([]),
    },
    latest: {
      completed: completed[0] === undefined ? null : checkpointJson(completed[0]),
      savepoint: null,
      failed: failed === undefined ? null : { ...checkpointJson(failed), failure_timestamp: failed.latestAckTimestamp },
      restored: null,
    },
    history: m.checkpoints.map(checkpointJson),
  };
}

/**
 * The stack trace of `e` followed by its causes' (`Caused by: ...`, as Java prints them): a user function's error
 * is wrapped by the runtime, and the frame naming the user's function is in the cause.
 */
function stackTrace(e: WireError): string {
  const own = e.stack ?? `${e.name}: ${e.message}`;
  return e.cause === undefined ? own : `${own}\nCaused by: ${stackTrace(e.cause)}`;
}

/** `GET /jobs/:jid/exceptions`: Flink's shape, each entry also naming the operator and the record when known. */
export function exceptionsDocument(m: JobMonitor): Record<string, unknown> {
  const entries = m.exceptions.map((e) => {
    const vertex = e.vertex === undefined ? undefined : m.vertices[e.vertex];
    return {
      exceptionName: e.error.name,
      stacktrace: stackTrace(e.error),
      message: e.error.message,
      timestamp: e.timestamp,
      taskName: vertex?.name ?? null,
      location: 'localhost',
      endpoint: 'localhost',
      taskManagerId: 'local',
      failureLabels: {},
      concurrentExceptions: [],
      operator: e.error.operator ?? e.error.cause?.operator ?? null,
      record: e.error.record ?? e.error.cause?.record ?? null,
    };
  });
  const root = entries[0];
  return {
    'root-exception': root?.stacktrace ?? null,
    timestamp: root?.timestamp ?? null,
    'all-exceptions': [],
    truncated: false,
    exceptionHistory: { entries, truncated: false },
  };
}

/** `GET /jobs/:jid/config`. */
export function configDocument(m: JobMonitor): Record<string, unknown> {
  const c = m.config;
  return {
    jid: m.jobId,
    name: m.name,
    'execution-config': {
      'execution-mode': String(c.mode ?? 'PIPELINED').toUpperCase(),
      'restart-strategy': String(c.restartStrategy ?? 'default'),
      'job-parallelism': Number(c.parallelism ?? 1),
      'object-reuse-mode': false,
      'user-config': c,
    },
  };
}

/** The job-level metrics Flink exposes under `/jobs/:jid/metrics` (`uptime`, `numRestarts`, `lastCheckpoint*`). */
export function jobMetrics(m: JobMonitor): Record<string, number> {
  const last = m.checkpoints.find((c) => c.status === 'COMPLETED');
  return {
    uptime: m.state === 'RUNNING' ? m.duration : 0,
    downtime: m.state === 'RESTARTING' ? Date.now() - (m.timestamps.RESTARTING ?? Date.now()) : 0,
    numRestarts: m.restarts,
    lastCheckpointDuration: last?.durationMs ?? -1,
    lastCheckpointSize: last?.bytes ?? -1,
    lastCheckpointAlignmentDuration: last?.alignmentMs ?? -1,
    lastCompletedCheckpointId: last?.id ?? -1,
    numberOfCompletedCheckpoints: m.checkpointCounts.completed,
    numberOfFailedCheckpoints: m.checkpointCounts.failed,
    numberOfInProgressCheckpoints: m.checkpointCounts.inProgress,
    numRescales: m.rescales,
    numScalingDecisions:
      m.scalingDecisions.length === 0 ? 0 : m.scalingDecisions[m.scalingDecisions.length - 1]!.number,
  };
}

/** `GET /jobs/:jid/metrics?get=a,b`: `[{id, value}]`; without `get`, the names (`[{id}]`). */
function jobMetricsDocument(m: JobMonitor, get: string | undefined): Record<string, unknown>[] {
  const all = jobMetrics(m);
  if (get === undefined || get === '') return Object.keys(all).map((id) => ({ id }));
  return get
    .split(',')
    .map((x) => x.trim())
    .filter((id) => id in all)
    .map((id) => ({ id, value: String(all[id]) }));
}

/**
 * `GET /jobs/:jid/metrics-history` (Sluice's, not Flink's): each vertex's recent samples for live plots — per
 * subtask `[time, …]` points are summed (records, rates) or reduced (max busy/back-pressured time, min watermark).
 */
export function metricsHistory(m: JobMonitor): Record<string, unknown> {
  return {
    jid: m.jobId,
    vertices: m.vertices.map((v) => {
      const subtasks = m.subtasks[v.id] ?? [];
      const length = Math.max(0, ...subtasks.map((s) => s.history.length));
      const samples = [];
      for (let k = 0; k < length; k++) {
        // Align the subtasks' rings from their newest point back.
        const points = subtasks.map((s) => s.history[s.history.length - length + k]).filter((p) => p !== undefined);
        if (points.length === 0) continue;
        const watermarks = points.map((p) => p.currentInputWatermark).filter((w): w is number => w !== null);
        samples.push({
          time: Math.max(...points.map((p) => p.time)),
          numRecordsInPerSecond: points.reduce((n, p) => n + p.numRecordsInPerSecond, 0),
          numRecordsOutPerSecond: points.reduce((n, p) => n + p.numRecordsOutPerSecond, 0),
          busyTimeMsPerSecond: Math.max(...points.map((p) => p.busyTimeMsPerSecond)),
          backPressuredTimeMsPerSecond: Math.max(...points.map((p) => p.backPressuredTimeMsPerSecond)),
          idleTimeMsPerSecond: Math.max(...points.map((p) => p.idleTimeMsPerSecond)),
          currentInputWatermark: watermarks.length === points.length ? Math.min(...watermarks) : null,
        });
      }
      return { id: String(v.id), name: v.name, samples };
    }),
  };
}

/**
 * A resource under `/jobs/:jid` (see `JobsBackend.jobResource`): `path` '' (details), '/plan', '/checkpoints',
 * '/exceptions', '/config', '/metrics', '/metrics-history', '/autoscaler', '/critical-path', '/vertices/:vid' and its
 * '/backpressure',
 * '/watermarks', '/subtasks/metrics'. Undefined for anything else (404); '/logs' is the backend's.
 */
export function jobResource(m: JobMonitor, path: string, query: Readonly<Record<string, string>>): unknown | undefined {
  switch (path) {
    case '':
      return jobDetails(m);
    case '/plan':
      return { plan: planDocument(m) };
    case '/checkpoints':
      return checkpointsDocument(m);
    case '/exceptions':
      return exceptionsDocument(m);
    case '/config':
      return configDocument(m);
    case '/metrics':
      return jobMetricsDocument(m, query.get);
    case '/metrics-history':
      return metricsHistory(m);
    case '/autoscaler':
      return autoscalerDocument(m);
    case '/critical-path':
      // `report` is null unless the run is analysed (sluice analyze) and a window has been reported.
      return { report: m.criticalPath ?? null };
  }
  const match = /^\/vertices\/([^/]+)(\/backpressure|\/watermarks|\/subtasks\/metrics)?$/.exec(path);
  if (match === null) return undefined;
  const v = m.vertices.find((x) => String(x.id) === match[1]);
  if (v === undefined) return undefined;
  switch (match[2]) {
    case undefined:
      return vertexDetails(m, v);
    case '/backpressure':
      return backpressureDocument(m, v);
    case '/watermarks':
      return watermarksDocument(m, v);
    default:
      return subtaskMetricsDocument(m, v, query.get);
  }
}

/**
 * Everything about the job in one document: what `--job-dir` writes to `job.json`, from which `sluice serve`
 * answers for a job whose process has ended (docs/PLATFORM.md, "Job process protocol"). `resources` maps each path
 * under `/jobs/:jid` to the document the job's own REST server answers there ('/vertices/<vid>/subtasks/metrics'
 * holds every metric, so the service can select `?get=` from it); `overview` is the job's `/jobs/overview` entry.
 */
export function jobJson(m: JobMonitor): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  const paths = [
    '',
    '/plan',
    '/checkpoints',
    '/exceptions',
    '/config',
    '/metrics-history',
    '/autoscaler',
    '/critical-path',
  ];
  for (const path of paths) {
    resources[path] = jobResource(m, path, {});
  }
  resources['/metrics'] = jobResource(m, '/metrics', { get: Object.keys(jobMetrics(m)).join(',') });
  const allMetrics = METRIC_NAMES.join(',');
  for (const v of m.vertices) {
    const base = `/vertices/${v.id}`;
    resources[base] = jobResource(m, base, {});
    resources[`${base}/backpressure`] = jobResource(m, `${base}/backpressure`, {});
    resources[`${base}/watermarks`] = jobResource(m, `${base}/watermarks`, {});
    resources[`${base}/subtasks/metrics`] = jobResource(m, `${base}/subtasks/metrics`, { get: allMetrics });
  }
  return { version: 2, overview: overviewEntry(m), resources, metrics: jobMetrics(m) };
}

export { overviewEntry };
