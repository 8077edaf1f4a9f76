import { Counter, Gauge, Registry } from 'prom-client';
import { recommendedParallelism } from '../runtime/monitor/autoscaler-document.js';
import { jobMetrics } from '../runtime/monitor/job-documents.js';
import type { JobMonitor } from '../runtime/monitor/job-monitor.js';
import type { MetricPoint } from '../runtime/monitor/metric-point.js';

/** A per-subtask series: its Prometheus name, help, kind, and the point field it reads. */
interface TaskSeries {
  name: string;
  help: string;
  counter: boolean;
  read(p: MetricPoint): number | null;
}

const TASK_SERIES: readonly TaskSeries[] = [
  {
    name: 'sluice_task_numRecordsIn_total',
    help: 'Records received by the subtask',
    counter: true,
    read: (p) => p.numRecordsIn,
  },
  {
    name: 'sluice_task_numRecordsOut_total',
    help: 'Records emitted by the subtask',
    counter: true,
    read: (p) => p.numRecordsOut,
  },
  {
    name: 'sluice_task_numRecordsInPerSecond',
    help: 'Records received per second',
    counter: false,
    read: (p) => p.numRecordsInPerSecond,
  },
  {
    name: 'sluice_task_numRecordsOutPerSecond',
    help: 'Records emitted per second',
    counter: false,
    read: (p) => p.numRecordsOutPerSecond,
  },
  {
    name: 'sluice_task_busyTimeMsPerSecond',
    help: 'Milliseconds per second spent processing',
    counter: false,
    read: (p) => p.busyTimeMsPerSecond,
  },
  {
    name: 'sluice_task_backPressuredTimeMsPerSecond',
    help: 'Milliseconds per second waiting for output credit',
    counter: false,
    read: (p) => p.backPressuredTimeMsPerSecond,
  },
  {
    name: 'sluice_task_idleTimeMsPerSecond',
    help: 'Milliseconds per second waiting for input',
    counter: false,
    read: (p) => p.idleTimeMsPerSecond,
  },
  {
    name: 'sluice_task_accumulatedBusyTimeMs_total',
    help: 'Milliseconds spent processing',
    counter: true,
    read: (p) => p.accumulatedBusyTimeMs,
  },
  {
    name: 'sluice_task_accumulatedBackPressuredTimeMs_total',
    help: 'Milliseconds spent waiting for output credit',
    counter: true,
    read: (p) => p.accumulatedBackPressuredTimeMs,
  },
  {
    name: 'sluice_task_accumulatedIdleTimeMs_total',
    help: 'Milliseconds spent waiting for input',
    counter: true,
    read: (p) => p.accumulatedIdleTimeMs,
  },
  {
    name: 'sluice_task_currentInputWatermark',
    help: 'Input watermark, epoch ms (absent before the first)',
    counter: false,
    read: (p) => p.currentInputWatermark,
  },
  {
    name: 'sluice_task_currentOutputWatermark',
    help: 'Output watermark, epoch ms (absent before the first)',
    counter: false,
    read: (p) => p.currentOutputWatermark,
  },
  {
    name: 'sluice_task_numLateRecordsDropped_total',
    help: 'Late records dropped',
    counter: true,
    read: (p) => p.numLateRecordsDropped,
  },
  { name: 'sluice_task_stateEntries', help: 'Keyed state entries held', counter: false, read: (p) => p.stateEntries },
  {
    name: 'sluice_task_checkpointedSizeBytes',
    help: 'Bytes of state in the last checkpoint',
    counter: false,
    read: (p) => p.checkpointedSize,
  },
];

const JOB_SERIES: readonly { name: string; help: string; key: string; counter: boolean }[] = [
  {
    name: 'sluice_job_uptimeMs',
    help: 'Milliseconds the job has been running (0 when not running)',
    key: 'uptime',
    counter: false,
  },
  { name: 'sluice_job_numRestarts_total', help: 'Restarts after failures', key: 'numRestarts', counter: true },
  {
    name: 'sluice_job_lastCheckpointDurationMs',
    help: 'Duration of the last completed checkpoint',
    key: 'lastCheckpointDuration',
    counter: false,
  },
  {
    name: 'sluice_job_lastCheckpointSizeBytes',
    help: 'Size of the last completed checkpoint',
    key: 'lastCheckpointSize',
    counter: false,
  },
  {
    name: 'sluice_job_lastCheckpointAlignmentMs',
    help: 'Longest barrier alignment of the last completed checkpoint',
    key: 'lastCheckpointAlignmentDuration',
    counter: false,
  },
  {
    name: 'sluice_job_numberOfCompletedCheckpoints_total',
    help: 'Completed checkpoints',
    key: 'numberOfCompletedCheckpoints',
    counter: true,
  },
  { name: 'sluice_job_numRescales_total', help: 'Rescales by the autoscaler', key: 'numRescales', counter: true },
  {
    name: 'sluice_job_numScalingDecisions_total',
    help: 'Decisions taken by the autoscaler',
    key: 'numScalingDecisions',
    counter: true,
  },
  {
    name: 'sluice_job_numberOfFailedCheckpoints_total',
    help: 'Failed (abandoned) checkpoints',
    key: 'numberOfFailedCheckpoints',
    counter: true,
  },
];

const STATES = ['CREATED', 'RUNNING', 'RESTARTING', 'FINISHED', 'FAILED', 'CANCELED'] as const;

/**
 * The Prometheus text exposition of the given jobs' metrics (names in docs/PLATFORM.md). Built into a fresh registry
 * on every scrape from the monitors' latest samples: the figures are sampled once a second anyway, and nothing is
 * counted twice in the data path. Labels: `job_id`, `job_name`; task series add `task_name` (the vertex) and
 * `subtask_index`.
 */
export async function prometheusText(monitors: readonly JobMonitor[]): Promise<string> {
  const registry = new Registry();
  const jobLabels = ['job_id', 'job_name'];
  const taskLabels = [...jobLabels, 'task_name', 'subtask_index'];
  const state = new Gauge({
    name: 'sluice_job_state',
    help: '1 for the state the job is in',
    labelNames: [...jobLabels, 'state'],
    registers: [registry],
  });
  const jobs = JOB_SERIES.map((s) =>
    s.counter
      ? new Counter({ name: s.name, help: s.help, labelNames: jobLabels, registers: [registry] })
      : new Gauge({ name: s.name, help: s.help, labelNames: jobLabels, registers: [registry] }),
  );
  const tasks = TASK_SERIES.map((s) =>
    s.counter
      ? new Counter({ name: s.name, help: s.help, labelNames: taskLabels, registers: [registry] })
      : new Gauge({ name: s.name, help: s.help, labelNames: taskLabels, registers: [registry] }),
  );
  const recommended = new Gauge({
    name: 'sluice_task_recommendedParallelism',
    help: "Parallelism the autoscaler's latest decision gives the vertex (absent without autoscaling)",
    labelNames: [...jobLabels, 'task_name'],
    registers: [registry],
  });
  for (const m of monitors) {
    const job = { job_id: m.jobId, job_name: m.name };
    for (const r of recommendedParallelism(m)) recommended.set({ ...job, task_name: r.name }, r.parallelism);
    for (const s of STATES) state.set({ ...job, state: s }, m.state === s ? 1 : 0);
    const figures = jobMetrics(m);
    JOB_SERIES.forEach((s, k) => {
      const value = figures[s.key] ?? 0;
      if (value < 0) return;
      const metric = jobs[k]!;
      if (metric instanceof Counter) metric.inc(job, value);
      else metric.set(job, value);
    });
    for (const v of m.vertices) {
      (m.subtasks[v.id] ?? []).forEach((sub, index) => {
        const p = sub.latest;
        if (p === undefined) return;
        const labels = { ...job, task_name: v.name, subtask_index: String(index) };
        TASK_SERIES.forEach((s, k) => {
          const value = s.read(p);
          if (value === null) return;
          const metric = tasks[k]!;
          if (metric instanceof Counter) metric.inc(labels, value);
          else metric.set(labels, value);
        });
      });
    }
  }
  return registry.metrics();
}
