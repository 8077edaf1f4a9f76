import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { jobSpec, loadJobEnvironment } from '../api/load-job.js';
import type { JobConfig } from '../plan/job-plan.js';
import { applyCheckpointOptions } from './checkpoint-options.js';
import { exitWithLauncher } from './launcher-watch.js';
import { ProgressReporter } from './progress.js';
import { reportError } from './report-error.js';

export interface RunCommandOptions {
  parallelism?: number;
  maxParallelism?: number;
  mode?: 'streaming' | 'batch';
  batchSize?: number;
  progress?: boolean;
  checkpointDir?: string;
  checkpointInterval?: number;
  checkpointTimeout?: number;
  minPause?: number;
  retainedCheckpoints?: number;
  fresh?: boolean;
  fromSavepoint?: string;
  verbose?: boolean;
  stateBackend?: 'heap' | 'disk';
  stateDir?: string;
  cluster?: string;
  jobId?: string;
  sessionTimeout?: number;
  tasksPerStage?: number;
}

/** `sluice run JOB [options] -- [job args]`: runs a job file; returns the process exit code. */
export async function runCommand(file: string, jobArgs: string[], options: RunCommandOptions): Promise<number> {
  const path = resolve(file);
  if (!existsSync(path)) {
    process.stderr.write(`error: job file not found: ${file}\n`);
    return 2;
  }
  const overrides: Partial<JobConfig> = {};
  if (options.parallelism !== undefined) overrides.parallelism = options.parallelism;
  if (options.maxParallelism !== undefined) overrides.maxParallelism = options.maxParallelism;
  if (options.mode !== undefined) overrides.runtimeMode = options.mode;
  if (options.batchSize !== undefined) overrides.batchSize = options.batchSize;
  if (options.stateBackend !== undefined) overrides.stateBackend = options.stateBackend;
  if (options.stateDir !== undefined) overrides.stateDir = resolve(options.stateDir);
  exitWithLauncher();
  if (options.cluster !== undefined || options.jobId !== undefined) {
    // Loaded only for cluster runs: it brings in the Kafka connectors.
    const { clusterCommand } = await import('./cluster-command.js');
    return clusterCommand(path, jobArgs, options, overrides);
  }
  const progress = new ProgressReporter(options.progress ?? process.stderr.isTTY === true);
  try {
    const env = await loadJobEnvironment(jobSpec(path, jobArgs, overrides));
    const refused = applyCheckpointOptions(env, options);
    if (refused !== undefined) {
      progress.stop();
      process.stderr.write(`error: ${refused}\n`);
      return 2;
    }
    const plan = env.buildPlan(file);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const result = await env.execute(file, {
      threads: plan.config.parallelism,
      onProgress: (p) => progress.update(p),
      signal: controller.signal,
      fresh: options.fresh,
      fromSavepoint: options.fromSavepoint === undefined ? undefined : resolve(options.fromSavepoint),
      onCheckpoint: options.verbose
        ? (s) =>
            process.stderr.write(
              `checkpoint ${s.id}${s.final ? ' (final)' : ''}: ${s.durationMs} ms, alignment ${s.alignmentMs} ms, ${s.bytes} bytes from ${s.subtasks} subtasks\n`,
            )
        : undefined,
    });
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    progress.stop();
    if (result.stoppedWithSavepoint !== undefined) {
      process.stderr.write(`job stopped with savepoint ${result.stoppedWithSavepoint}\n`);
      return 0;
    }
    if (result.cancelled) {
      process.stderr.write('job cancelled\n');
      return 130;
    }
    for (const [tag, n] of Object.entries(result.unconsumedSideRecords)) {
      process.stderr.write(`warning: ${n} records went to side output '${tag}', which nothing consumes\n`);
    }
    return 0;
  } catch (e) {
    progress.stop();
    reportError(e, path);
    return 1;
  }
}
