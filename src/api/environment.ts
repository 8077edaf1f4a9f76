import { CollectionSource } from '../connectors/basic/collection-source.js';
import { type GeneratorOptions, GeneratorSource } from '../connectors/basic/generator-source.js';
import { PlanError } from '../core/errors.js';
import type { Source } from '../core/source.js';
import type { WatermarkStrategy } from '../core/watermark-strategy.js';
import { DEFAULT_JOB_CONFIG, type JobConfig, type JobPlan, PlanBuilder } from '../plan/job-plan.js';
import { type RestartStrategyConfig, validateRestartStrategy } from '../plan/restart-strategy.js';
import type { AnalysisOptions } from '../runtime/analysis/trace-collector.js';
import { type AutoscalerOptions, autoscalerOptions } from '../runtime/autoscaler/autoscaler-options.js';
import {
  type CheckpointConfig,
  type CheckpointStats,
  DEFAULT_CHECKPOINT_CONFIG,
  MAX_INLINE_STATE_BYTES,
} from '../runtime/checkpoint/checkpoint-coordinator.js';
import type { ExecutorProgress } from '../runtime/executor.js';
import { type JobResult, type PlanSpec, type RunFigures, runPlan } from '../runtime/job-runner.js';
import type { LogSettings } from '../runtime/logging/job-logger.js';
import type { RunObserver } from '../runtime/metrics/run-observer.js';
import { checkFilePaths } from './check-file-paths.js';
import { DataStream } from './data-stream.js';
import { nodeBase } from './stream-base.js';

/** Options for executing a job from code. */
export interface ExecuteOptions {
  /** Threads; default 1 (every subtask on the calling thread). More threads need a job module (see defineJob). */
  threads?: number;
  onProgress?: (p: ExecutorProgress) => void;
  /** Cancels the job (stops processing where it is; the result has `cancelled: true`). */
  signal?: AbortSignal;
  /** Checkpoint options of this run (restore choice); the interval and directory come from enableCheckpointing. */
  fresh?: boolean;
  fromSavepoint?: string;
  /** Restore even if the checkpoint or savepoint holds state no operator of this job takes (it is dropped). */
  allowNonRestoredState?: boolean;
  /** Restore and checkpoint messages (default: stderr). */
  log?: (line: string) => void;
  onCheckpoint?: (stats: CheckpointStats) => void;
  /** Called when the run fails (after any restarts) with what it did until then. */
  onFailed?: (figures: RunFigures) => void;
  /** Watches the run (metric samples, checkpoints, restarts, the end): e.g. a `JobMonitor`. */
  observer?: RunObserver;
  /** Where user functions' log lines go (default: warnings and errors to stderr). */
  logs?: LogSettings;
  /**
   * Rescale the job's operators from their measured true processing rates while it runs (DS2; see the guide's
   * "Autoscaling"). Needs checkpointing (enableCheckpointing); every rescale restarts the job from a checkpoint.
   */
  autoscale?: Partial<AutoscalerOptions>;
  /** Report the critical path and the bottleneck per window (see `RunOptions.analysis`). */
  analysis?: AnalysisOptions;
}

/**
 * The entry point of the DataStream API: creates sources, holds the job configuration and the plan being built,
 * and executes it. Parallelism means parallel subtasks of each operator; on the CLI each subtask index runs on its own
 * worker thread.
 */
export class StreamExecutionEnvironment {
  /** @internal the plan being built. */
  readonly planBuilder = new PlanBuilder();
  private config: JobConfig;
  /** @internal collect handles to fill after execution. */
  readonly collectHandles: { id: string; fill(values: unknown[]): void }[] = [];
  /** @internal set by the CLI and job loader: how worker threads rebuild this job. */
  planSpec: PlanSpec | undefined;

  constructor(config: Partial<JobConfig> = {}) {
    this.config = { ...DEFAULT_JOB_CONFIG, ...config };
    validate(this.config);
  }

  static create(config: Partial<JobConfig> = {}): StreamExecutionEnvironment {
    return new StreamExecutionEnvironment(config);
  }

  /** The configuration the job set itself (without command-line overrides). */
  getConfig(): Readonly<JobConfig> {
    return this.config;
  }

  /**
   * The configuration the job will run with: its own settings with the command line's overrides on top (`--mode`,
   * `-p`, ...). Overrides are applied before the job definition is built, so a front end that plans differently per
   * runtime mode (SQL in batch mode) can read it while building.
   */
  getEffectiveConfig(): Readonly<JobConfig> {
    return { ...this.config, ...this.overrides };
  }
  /** Sets the default parallelism of operators. */
  setParallelism(parallelism: number): this {
    this.config = { ...this.config, parallelism };
    validate(this.config);
    return this;
  }
  setMaxParallelism(maxParallelism: number): this {
    this.config = { ...this.config, maxParallelism };
    validate(this.config);
    return this;
  }
  /**
   * Exactly-once: takes a checkpoint every `intervalMs` into `dir`, restores from the newest complete one when the
   * job starts again with the same directory, and makes sinks commit their output with checkpoints.
   */
  enableCheckpointing(
    intervalMs: number,
    dir: string,
    options: Partial<Omit<CheckpointConfig, 'dir' | 'intervalMs'>> = {},
  ): this {
    if (!(intervalMs > 0)) throw new PlanError(`checkpoint interval must be positive, got ${intervalMs}`);
    const inline = options.inlineStateBytes;
    if (inline !== undefined && !(Number.isSafeInteger(inline) && inline >= 0 && inline <= MAX_INLINE_STATE_BYTES)) {
      throw new PlanError(`inlineStateBytes must be an integer from 0 to ${MAX_INLINE_STATE_BYTES}, got ${inline}`);
    }
    this.checkpointConfig = { ...DEFAULT_CHECKPOINT_CONFIG, ...options, intervalMs, dir };
    return this;
  }
  /** @internal */
  checkpointConfig: CheckpointConfig | undefined;

  /**
   * What to do when the job fails while running: `RestartStrategies.none()`, `.fixedDelay(attempts, delayMs)`,
   * `.exponentialDelay({...})` or `.failureRate(max, intervalMs, delayMs)`. Without this call: exponential delay
   * when checkpointing is enabled, none otherwise. `--restart-strategy` on the command line wins over it.
   */
  setRestartStrategy(strategy: RestartStrategyConfig): this {
    this.config = { ...this.config, restartStrategy: validateRestartStrategy(strategy) };
    return this;
  }

  /** 'batch' runs bounded jobs without intermediate watermarks; results equal 'streaming' mode. */
  setRuntimeMode(runtimeMode: 'streaming' | 'batch'): this {
    this.config = { ...this.config, runtimeMode };
    return this;
  }
  /** @internal applies engine options given on the command line (they win over the job's own settings). */
  applyOverrides(overrides: Partial<JobConfig>): void {
    this.overrides = overrides;
  }
  private overrides: Partial<JobConfig> = {};

  /** A stream from a source; with a watermark strategy, timestamps and watermarks are assigned right after it. */
  fromSource<T>(source: Source<T>, watermarks?: WatermarkStrategy<T>, name?: string): DataStream<T> {
    // Sources with per-split watermarks take the strategy themselves; others get a timestamps operator after them.
    const perSplit = source.splitWatermarks === true && watermarks !== undefined;
    const node = this.planBuilder.add({
      ...nodeBase(this, 'source', name ?? source.name),
      kind: 'source',
      source: source as Source<unknown>,
      ...(perSplit ? { watermarks: watermarks as WatermarkStrategy<unknown> } : {}),
      inputs: [],
    });
    const stream = new DataStream<T>({ env: this, nodeId: node.id, partitioning: undefined, sideOutput: undefined });
    return watermarks === undefined || perSplit ? stream : stream.assignTimestampsAndWatermarks(watermarks);
  }

  /** A bounded stream of the given elements (parallelism 1, in order). */
  fromCollection<T>(items: Iterable<T>, name = 'collection'): DataStream<T> {
    return this.fromSource(new CollectionSource(items, name));
  }
  fromElements<T>(...items: T[]): DataStream<T> {
    return this.fromCollection(items);
  }

  /** Records `generate(0)`, `generate(1)`, … — bounded with `count`, optionally rate limited. Parallel. */
  fromGenerator<T>(generate: (index: number) => T, options: GeneratorOptions = {}): DataStream<T> {
    return this.fromSource(new GeneratorSource(generate, options));
  }

  /** The finished plan (applies command-line overrides). */
  buildPlan(name = 'job'): JobPlan {
    const config = { ...this.config, ...this.overrides };
    validate(config);
    const plan = this.planBuilder.build(name, config);
    checkFilePaths(plan);
    return plan;
  }

  /** Runs the job until its bounded input ends (or forever on unbounded input). */
  async execute(name = 'job', options: ExecuteOptions = {}): Promise<JobResult> {
    const plan = this.buildPlan(name);
    const threads = options.threads ?? 1;
    if (this.checkpointConfig !== undefined && plan.config.runtimeMode === 'batch') {
      throw new PlanError('checkpoints are for streaming mode; batch mode recomputes bounded input after a failure');
    }
    const result = await runPlan(plan, {
      threads,
      spec: this.planSpec,
      onProgress: options.onProgress,
      signal: options.signal,
      log: options.log,
      onCheckpoint: options.onCheckpoint,
      onFailed: options.onFailed,
      fromSavepoint: options.fromSavepoint,
      allowNonRestoredState: options.allowNonRestoredState,
      observer: options.observer,
      logs: options.logs,
      ...(options.autoscale === undefined ? {} : { autoscale: autoscalerOptions(options.autoscale) }),
      analysis: options.analysis,
      checkpoint: this.checkpointConfig === undefined ? undefined : { ...this.checkpointConfig, fresh: options.fresh },
    });
    for (const h of this.collectHandles) h.fill(result.collected[h.id] ?? []);
    return result;
  }
}

function validate(c: JobConfig): void {
  const int = (v: number, what: string, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new PlanError(`${what} must be an integer >= ${min}, got ${v}`);
  };
  int(c.parallelism, 'parallelism', 1);
  int(c.maxParallelism, 'max parallelism', 1);
  int(c.batchSize, 'batch size', 1);
  int(c.channelCredits, 'channel credits', 1);
  if (c.parallelism > c.maxParallelism) {
    throw new PlanError(`parallelism ${c.parallelism} exceeds max parallelism ${c.maxParallelism}`);
  }
}
