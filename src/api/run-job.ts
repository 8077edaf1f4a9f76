import type { JobConfig } from '../plan/job-plan.js';
import type { AnalysisOptions } from '../runtime/analysis/trace-collector.js';
import type { CheckpointStats } from '../runtime/checkpoint/checkpoint-coordinator.js';
import type { ExecutorProgress } from '../runtime/executor.js';
import type { JobResult } from '../runtime/job-runner.js';
import type { LogSettings } from '../runtime/logging/job-logger.js';
import type { RunObserver } from '../runtime/metrics/run-observer.js';
import { jobSpec, loadJobEnvironment } from './load-job.js';

export interface RunJobOptions {
  /** Job arguments (what follows `--` on the command line). */
  args?: readonly string[];
  /** Engine options; `parallelism` also sets the number of threads. */
  config?: Partial<JobConfig>;
  onProgress?: (p: ExecutorProgress) => void;
  /** Cancels the job; the result then has `cancelled: true`. */
  signal?: AbortSignal;
  /** Exactly-once: checkpoint into this directory (and restore from it). */
  checkpointDir?: string;
  /** Default 1000 ms. */
  checkpointIntervalMs?: number;
  fresh?: boolean;
  fromSavepoint?: string;
  log?: (line: string) => void;
  onCheckpoint?: (stats: CheckpointStats) => void;
  /** Watches the run (a `JobMonitor`). */
  observer?: RunObserver;
  /** Where user functions' log lines go. */
  logs?: LogSettings;
  /** Report the critical path and the bottleneck per window (see `RunOptions.analysis`). */
  analysis?: AnalysisOptions;
}

/**
 * Runs a job file (a module whose default export is `defineJob(...)`) with one worker thread per parallel subtask
 * (parallelism 1 runs on the calling thread), the way `sluice run` does. Resolves when bounded input is done.
 */
export async function runJob(file: string, options: RunJobOptions = {}): Promise<JobResult> {
  const spec = jobSpec(file, options.args ?? [], options.config ?? {});
  const env = await loadJobEnvironment(spec);
  if (options.checkpointDir !== undefined) {
    env.enableCheckpointing(options.checkpointIntervalMs ?? 1000, options.checkpointDir);
  }
  const threads = env.buildPlan().config.parallelism;
  return env.execute('job', {
    threads,
    onProgress: options.onProgress,
    signal: options.signal,
    fresh: options.fresh,
    fromSavepoint: options.fromSavepoint,
    log: options.log,
    onCheckpoint: options.onCheckpoint,
    observer: options.observer,
    logs: options.logs,
    analysis: options.analysis,
  });
}
