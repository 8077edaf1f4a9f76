import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { jobSpec, loadJobEnvironment } from '../api/load-job.js';
import type { JobConfig } from '../plan/job-plan.js';
import { ProgressReporter } from './progress.js';
import { reportError } from './report-error.js';

export interface RunCommandOptions {
  parallelism?: number;
  maxParallelism?: number;
  mode?: 'streaming' | 'batch';
  batchSize?: number;
  progress?: boolean;
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
  const progress = new ProgressReporter(options.progress ?? process.stderr.isTTY === true);
  try {
    const env = await loadJobEnvironment(jobSpec(path, jobArgs, overrides));
    const plan = env.buildPlan(file);
    const result = await env.execute(file, {
      threads: plan.config.parallelism,
      onProgress: (p) => progress.update(p),
    });
    progress.stop();
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
