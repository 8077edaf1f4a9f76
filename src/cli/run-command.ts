import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jobSpec, loadJobEnvironment } from '../api/load-job.js';
import type { JobConfig } from '../plan/job-plan.js';
import type { AnalysisOptions } from '../runtime/analysis/trace-collector.js';
import { type AutoscalerOptions, autoscalerOptions } from '../runtime/autoscaler/autoscaler-options.js';
import { toWire } from '../runtime/errors-wire.js';
import type { RunFigures } from '../runtime/job-runner.js';
import { NUM_LATE_RECORDS_DROPPED } from '../runtime/operator-metrics.js';
import { applyCheckpointOptions } from './checkpoint-options.js';
import { type PlatformOptions, startPlatform } from './job-platform.js';
import { exitWithLauncher } from './launcher-watch.js';
import { ProgressReporter } from './progress.js';
import { reportError } from './report-error.js';
import { restartStrategyFromOptions } from './restart-options.js';

export interface RunCommandOptions extends PlatformOptions {
  parallelism?: number;
  maxParallelism?: number;
  mode?: 'streaming' | 'batch';
  batchSize?: number;
  /** false with --no-local-aggregation. */
  localAggregation?: boolean;
  progress?: boolean;
  checkpointDir?: string;
  checkpointInterval?: number;
  checkpointTimeout?: number;
  minPause?: number;
  retainedCheckpoints?: number;
  checkpointInlineBytes?: number;
  fresh?: boolean;
  fromSavepoint?: string;
  allowNonRestoredState?: boolean;
  verbose?: boolean;
  stateBackend?: 'heap' | 'disk';
  stateDir?: string;
  cluster?: string;
  jobId?: string;
  sessionTimeout?: number;
  tasksPerStage?: number;
  /** Cluster mode: worker threads hosting this process's tasks (default: the cores; 0: the main thread). */
  threads?: number;
  autoscale?: boolean;
  autoscalePolicy?: 'ds2' | 'threshold';
  autoscaleWindow?: number;
  autoscaleStabilization?: number;
  autoscaleCatchUp?: number;
  autoscaleTargetUtilization?: number;
  autoscaleUtilizationBoundary?: number;
  autoscaleMinParallelism?: number;
  autoscaleMaxParallelism?: number;
  autoscaleMaxScaleDown?: number;
  /**
   * The job's name in checkpoints (job identity) and plans when it is not the job file's: `sluice sql` runs one
   * built-in job module for every script and names the job after the script.
   */
  jobName?: string;
  /** Record the threads' activity and report the bottleneck (`sluice analyze`; not a command-line option of run). */
  analysis?: AnalysisOptions;
}

/**
 * The line `sluice run` ends with on stderr: what the run did, over every attempt.
 * `summary: records in N, records out N, late records dropped N, checkpoints N, restarts N, duration S s`.
 */
export function summaryLine(result: RunFigures, durationMs: number): string {
  const late = result.operatorMetrics.reduce((n, m) => n + (m.counters[NUM_LATE_RECORDS_DROPPED] ?? 0), 0);
  return `summary: records in ${result.sourceRecords}, records out ${result.sinkRecords}, late records dropped ${late}, checkpoints ${result.checkpointsCompleted}, restarts ${result.restarts}, duration ${(durationMs / 1000).toFixed(1)} s`;
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
  if (options.localAggregation === false) overrides.localAggregation = false;
  if (options.stateBackend !== undefined) overrides.stateBackend = options.stateBackend;
  if (options.stateDir !== undefined) overrides.stateDir = resolve(options.stateDir);
  try {
    const restartStrategy = restartStrategyFromOptions(options as Record<string, unknown>);
    if (restartStrategy !== undefined) overrides.restartStrategy = restartStrategy;
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 2;
  }
  exitWithLauncher();
  if (options.cluster !== undefined || options.jobId !== undefined) {
    // Loaded only for cluster runs: it brings in the Kafka connectors.
    const { clusterCommand } = await import('./cluster-command.js');
    return clusterCommand(path, jobArgs, options, overrides);
  }
  const started = Date.now();
  const platform = startPlatform(options.jobName ?? path, options, engineConfig(options), (line) =>
    process.stderr.write(`${line}\n`),
  );
  try {
    return await runWithPlatform(path, file, jobArgs, options, overrides, started, platform);
  } finally {
    await platform.finish();
  }
}

/** The engine options of a run as its configuration document shows them (what was given on the command line). */
function engineConfig(options: RunCommandOptions): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  const hidden = new Set([
    'web',
    'webLinger',
    'webPortFile',
    'jobDir',
    'logFile',
    'webJobId',
    'progress',
    'verbose',
    'analysis',
  ]);
  for (const [k, v] of Object.entries(options)) if (!hidden.has(k) && v !== undefined) shown[k] = v;
  return shown;
}

async function runWithPlatform(
  path: string,
  file: string,
  jobArgs: string[],
  options: RunCommandOptions,
  overrides: Partial<JobConfig>,
  started: number,
  platform: ReturnType<typeof startPlatform>,
): Promise<number> {
  const { monitor } = platform;
  let scratchCheckpoints: string | undefined;
  const terminal = process.stderr.isTTY === true;
  /** What a run that failed while running did, for its summary line. */
  let failedFigures: RunFigures | undefined;
  const progress = new ProgressReporter((options.progress ?? terminal) ? (terminal ? 'bar' : 'lines') : 'off');
  try {
    const env = await loadJobEnvironment(jobSpec(path, jobArgs, overrides));
    const refused = applyCheckpointOptions(env, options);
    if (refused !== undefined) {
      progress.stop();
      process.stderr.write(`error: ${refused}\n`);
      monitor.onEnd({ state: 'FAILED', error: toWire(new Error(refused)) }, Date.now());
      return 2;
    }
    let autoscale: Partial<AutoscalerOptions> | undefined;
    try {
      autoscale = autoscaleOptions(options);
    } catch (e) {
      progress.stop();
      process.stderr.write(`error: ${(e as Error).message}\n`);
      return 2;
    }
    // Every rescale restarts from a checkpoint: without a directory of the user's, checkpoint into a temporary one.
    if (autoscale !== undefined && env.checkpointConfig === undefined) {
      scratchCheckpoints = await mkdtemp(join(tmpdir(), 'sluice-autoscale-'));
      env.enableCheckpointing(options.checkpointInterval ?? 1000, scratchCheckpoints);
    }
    const plan = env.buildPlan(options.jobName ?? file);
    monitor.maxParallelism = plan.config.maxParallelism;
    const controller = new AbortController();
    const stop = () => controller.abort();
    try {
      await platform.serve({
        cancel: stop,
        checkpointDir: env.checkpointConfig?.dir,
        threads: plan.config.parallelism,
      });
    } catch (e) {
      progress.stop();
      process.stderr.write(`error: cannot start the web server: ${(e as Error).message}\n`);
      monitor.onEnd({ state: 'FAILED', error: toWire(e) }, Date.now());
      return 1;
    }
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const result = await env.execute(options.jobName ?? file, {
      observer: monitor,
      logs: platform.logs,
      threads: plan.config.parallelism,
      onProgress: (p) => progress.update(p),
      signal: controller.signal,
      ...(autoscale === undefined ? {} : { autoscale }),
      fresh: options.fresh,
      fromSavepoint: options.fromSavepoint === undefined ? undefined : resolve(options.fromSavepoint),
      onFailed: (figures) => {
        failedFigures = figures;
      },
      allowNonRestoredState: options.allowNonRestoredState,
      analysis:
        options.analysis === undefined
          ? undefined
          : {
              windowMs: options.analysis.windowMs,
              onReport: (report) => {
                monitor.onBottleneckReport(report);
                options.analysis!.onReport(report);
              },
            },
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
    process.stderr.write(`${summaryLine(result, Date.now() - started)}\n`);
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
    // A job that failed before it ran (loading, options, the web server) still ends FAILED in its job.json.
    if (!monitor.ended) monitor.onEnd({ state: 'FAILED', error: toWire(e) }, Date.now());
    reportError(e, path);
    if (failedFigures !== undefined) process.stderr.write(`${summaryLine(failedFigures, Date.now() - started)}\n`);
    return 1;
  } finally {
    if (scratchCheckpoints !== undefined) await rm(scratchCheckpoints, { recursive: true, force: true });
  }
}

/**
 * The autoscaler options of the command line, or undefined without `--autoscale`.
 * @throws RangeError for values that make no sense together, or autoscaler options without `--autoscale`.
 */
function autoscaleOptions(o: RunCommandOptions): Partial<AutoscalerOptions> | undefined {
  const given: Partial<Record<keyof AutoscalerOptions, unknown>> = {
    policy: o.autoscalePolicy,
    metricsWindowMs: o.autoscaleWindow,
    stabilizationMs: o.autoscaleStabilization,
    catchUpDurationMs: o.autoscaleCatchUp,
    targetUtilization: o.autoscaleTargetUtilization,
    utilizationBoundary: o.autoscaleUtilizationBoundary,
    minParallelism: o.autoscaleMinParallelism,
    maxParallelism: o.autoscaleMaxParallelism,
    maxScaleDownFactor: o.autoscaleMaxScaleDown,
  };
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  if (!o.autoscale) {
    if (Object.keys(set).length > 0) throw new RangeError('the --autoscale-* options need --autoscale');
    return undefined;
  }
  // Checked here, so that a mistyped value is refused before the job starts.
  autoscalerOptions(set as Partial<AutoscalerOptions>);
  return set as Partial<AutoscalerOptions>;
}
