/**
 * Sluice: stateful stream processing for TypeScript.
 *
 * Build a job with the DataStream API on a {@link StreamExecutionEnvironment}, export it with {@link defineJob},
 * and run it with `npx sluice run job.ts`.
 */

export { BroadcastConnectedStream, BroadcastStream, KeyedBroadcastConnectedStream } from './api/broadcast-stream.js';
export { ConnectedStreams, KeyedConnectedStreams } from './api/connected-streams.js';
export {
  type CollectHandle,
  DataStream,
  type FilterFunction,
  type FlatMapFunction,
  type MapFunction,
} from './api/data-stream.js';
export { defineJob, type JobDefinition } from './api/define-job.js';
export { type ExecuteOptions, StreamExecutionEnvironment } from './api/environment.js';
export { IntervalJoinBuilder, type IntervalJoinContext } from './api/interval-join.js';
export { KeyedStream, type RollingOptions } from './api/keyed-stream.js';
export { type RunJobOptions, runJob } from './api/run-job.js';
export { WindowJoinBuilder } from './api/window-join.js';
export { AllWindowedStream, WindowedStream } from './api/windowed-stream.js';
export { CollectionSource } from './connectors/basic/collection-source.js';
export { type GeneratorOptions, GeneratorSource } from './connectors/basic/generator-source.js';
export { CollectSink, DiscardSink, PrintSink } from './connectors/basic/simple-sinks.js';
export * from './connectors/files/index.js';
export * from './connectors/nexmark/index.js';
export type { Batch } from './core/batch.js';
export { InputError, KeySelectorError, PlanError, SluiceError, UserFunctionError } from './core/errors.js';
export { DEFAULT_MAX_PARALLELISM, type Key } from './core/key.js';
export { OutputTag } from './core/output-tag.js';
export type { Sink, SinkWriter, SinkWriterContext } from './core/sink.js';
export type { BadRecord, PollResult, Source, SourceOutput, SourceReader, SourceReaderContext } from './core/source.js';
export { MAX_WATERMARK, MIN_WATERMARK, NO_TIMESTAMP } from './core/time.js';
export {
  type TimestampAssigner,
  type WatermarkGenerator,
  WatermarkStrategies,
  type WatermarkStrategy,
} from './core/watermark-strategy.js';
export type * from './functions/context.js';
export type * from './functions/functions.js';
export type { JobConfig } from './plan/job-plan.js';
export {
  type ExponentialDelayRestart,
  type FailureRateRestart,
  type FixedDelayRestart,
  RestartStrategies,
  type RestartStrategyConfig,
} from './plan/restart-strategy.js';
export type { CheckpointConfig, CheckpointStats } from './runtime/checkpoint/checkpoint-coordinator.js';
export { JobFailedError } from './runtime/errors-wire.js';
export type { JobResult } from './runtime/job-runner.js';
export type { LogSettings } from './runtime/logging/job-logger.js';
export type { RunObserver, RunOutcome } from './runtime/metrics/run-observer.js';
export type { SubtaskSample } from './runtime/metrics/subtask-sample.js';
export { JobMonitor, type JobMonitorOptions, type JobState, newJobId } from './runtime/monitor/job-monitor.js';
export type { MetricPoint } from './runtime/monitor/metric-point.js';
export { DEAD_LETTER_TAG } from './runtime/subtask.js';
export * from './state/descriptors.js';
export type * from './state/state.js';
export * from './windowing/assigners.js';
export * from './windowing/evictors.js';
export * from './windowing/triggers.js';
export type {
  ProcessWindowContext,
  ProcessWindowFunction,
  ReducedWindowFunction,
} from './windowing/window-function.js';
export { GlobalWindow, TimeWindow, type Window } from './windowing/windows.js';
