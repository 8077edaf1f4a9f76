import type { DataStream } from '../api/data-stream.js';
import { StreamExecutionEnvironment } from '../api/environment.js';
import { keyGroupRange } from '../core/key.js';
import type { OutputTag } from '../core/output-tag.js';
import type { Source } from '../core/source.js';
import { MIN_WATERMARK, NO_TIMESTAMP } from '../core/time.js';
import type { PlanNode } from '../plan/nodes.js';
import { ChainOutput } from '../runtime/chain-output.js';
import type { ChannelMessage, ChannelTransport } from '../runtime/channel-message.js';
import { STDERR_LOGS } from '../runtime/logging/job-logger.js';
import type { OperatorContext, StreamOperator } from '../runtime/operator.js';
import { createOperator, isKeyed } from '../runtime/operator-factory.js';
import { OperatorMetricGroup } from '../runtime/operator-metrics.js';
import { RecordWriter } from '../runtime/record-writer.js';
import { TimerQueue } from '../runtime/timer-queue.js';
import { HeapKeyedStateBackend } from '../state/heap-keyed-state-backend.js';

/** A record as the harness saw it leave the operators. */
export interface OutputRecord<T> {
  value: T;
  /** undefined when the record has no timestamp. */
  timestamp: number | undefined;
}

export interface HarnessOptions {
  /** Side outputs to capture. */
  sideOutputs?: OutputTag<unknown>[];
  /** Pretend to be subtask `subtaskIndex` of `parallelism` (key-group range of keyed state). Default 0 of 1. */
  parallelism?: number;
  subtaskIndex?: number;
  maxParallelism?: number;
  runtimeMode?: 'streaming' | 'batch';
  /** Initial processing time; default 0. */
  processingTime?: number;
}

const placeholder: Source<never> = {
  name: 'harness-input',
  boundedness: 'bounded',
  createReader: () => {
    throw new Error('the harness input is driven by the test');
  },
};

/**
 * Drives the operators an API call creates, without threads or sources: feed records and watermarks, move
 * processing time, and read what comes out (records with timestamps, watermarks, side outputs).
 *
 * ```ts
 * const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
 *   s.keyBy((e) => e.user).window(TumblingEventTimeWindows.of(1000)).reduce(sum));
 * h.processElement(ev, 10); h.processWatermark(2000);
 * h.values(); // the fired windows
 * ```
 * The operators must form a chain (each node reads the previous one); partitioning is ignored since there is one
 * subtask. Two-input operators (connect) get their inputs from `createTwoInput`.
 */
export class OperatorTestHarness<O> {
  private readonly captured: OutputRecord<O>[] = [];
  private readonly side = new Map<string, OutputRecord<unknown>[]>();
  private readonly watermarksOut: number[] = [];
  private time: number;
  private readonly watermarkOf: { wm: number }[] = [];
  private inputWatermarks: number[];
  private ended = false;

  private constructor(
    private readonly ops: StreamOperator[],
    private readonly outputs: ChainOutput[],
    private readonly writers: RecordWriter[],
    options: HarnessOptions,
    inputs: number,
  ) {
    this.time = options.processingTime ?? 0;
    this.inputWatermarks = new Array(inputs).fill(MIN_WATERMARK);
  }

  /** Builds the operators that `build` adds after a one-input stream. */
  static create<I, O>(
    build: (input: DataStream<I>) => DataStream<O>,
    options: HarnessOptions = {},
  ): Promise<OperatorTestHarness<O>> {
    return OperatorTestHarness.fromBuilder<O>((env) => build(env.fromSource<I>(placeholder as Source<I>)), 1, options);
  }

  /** Builds the operators that `build` adds after two input streams (for connect/co-process). */
  static createTwoInput<A, B, O>(
    build: (a: DataStream<A>, b: DataStream<B>) => DataStream<O>,
    options: HarnessOptions = {},
  ): Promise<OperatorTestHarness<O>> {
    return OperatorTestHarness.fromBuilder<O>(
      (env) => build(env.fromSource<A>(placeholder as Source<A>), env.fromSource<B>(placeholder as Source<B>)),
      2,
      options,
    );
  }

  private static async fromBuilder<O>(
    build: (env: StreamExecutionEnvironment) => DataStream<O>,
    inputs: number,
    options: HarnessOptions,
  ): Promise<OperatorTestHarness<O>> {
    const env = StreamExecutionEnvironment.create({ maxParallelism: options.maxParallelism ?? 128 });
    build(env);
    const nodes: PlanNode[] = [];
    for (let id = 1; id < env.planBuilder.nextId(); id++) {
      const n = env.planBuilder.get(id);
      if (n.kind !== 'source') nodes.push(n);
    }
    if (nodes.some((n) => n.kind === 'union' || n.kind === 'sink')) {
      throw new Error('the harness drives a chain of operators; unions and sinks are not supported');
    }
    const ops = nodes.map((n) => createOperator(n));
    const harnessRef: { h?: OperatorTestHarness<O> } = {};
    const transport: ChannelTransport = {
      send: (edge: number, _from: number, _to: number, m: ChannelMessage) => harnessRef.h!.capture(edge, m),
    };
    const writers: RecordWriter[] = [];
    const writer = (edge: number) => {
      const w = new RecordWriter(edge, 0, { kind: 'forward' }, 1, 128, 1 << 30, 1 << 30, transport);
      writers.push(w);
      return w;
    };
    const sideWriters = new Map<string, RecordWriter[]>();
    (options.sideOutputs ?? []).forEach((tag, i) => {
      sideWriters.set(tag.id, [writer(i + 1)]);
    });
    const outputs = ops.map(
      (_op, i) =>
        new ChainOutput(
          ops[i + 1],
          i === ops.length - 1 ? [writer(0)] : [],
          i === ops.length - 1 ? sideWriters : new Map(),
          1 << 30,
        ),
    );
    const h = new OperatorTestHarness<O>(ops, outputs, writers, options, inputs);
    for (const node of nodes) h.metricGroups.push(new OperatorMetricGroup(node.uid, node.name));
    harnessRef.h = h;
    h.sideTags = options.sideOutputs ?? [];
    const p = options.parallelism ?? 1;
    const index = options.subtaskIndex ?? 0;
    const maxP = options.maxParallelism ?? 128;
    for (let i = 0; i < ops.length; i++) {
      const wm = { wm: MIN_WATERMARK };
      h.watermarkOf.push(wm);
      if (i > 0) outputs[i - 1]!.onNextWatermark = (w) => (wm.wm = w);
      const node = nodes[i]!;
      const [start, end] = keyGroupRange(index, maxP, p);
      const ctx: OperatorContext = {
        name: node.name,
        uid: node.uid,
        subtaskIndex: index,
        parallelism: p,
        maxParallelism: maxP,
        runtimeMode: options.runtimeMode ?? 'streaming',
        executionId: 'harness',
        exactlyOnce: false,
        output: outputs[i]!,
        keyedState: isKeyed(node) ? new HeapKeyedStateBackend(maxP, start, end, () => h.time) : undefined,
        createTimerQueue: () => new TimerQueue(),
        currentProcessingTime: () => h.time,
        currentWatermark: () => wm.wm,
        wakeup: () => {},
        blockUntil: () => {},
        fail: (e) => {
          throw e;
        },
        metrics: h.metricGroups[i]!,
        logger: STDERR_LOGS.forOperator({ vertex: node.name, vertexId: 0, subtask: index, operator: node.name }, p),
      };
      await ops[i]!.open(ctx);
    }
    return h;
  }

  private sideTags: OutputTag<unknown>[] = [];
  private readonly metricGroups: OperatorMetricGroup[] = [];

  /** The counter `name` of the operators under test (summed over the chain), e.g. `numLateRecordsDropped`. */
  counter(name: string): number {
    return this.metricGroups.reduce((n, g) => n + (g.report().counters[name] ?? 0), 0);
  }

  private capture(edge: number, m: ChannelMessage): void {
    if (m.t === 'batch') {
      const records = m.batch.values.map((value, i) => {
        const ts = m.batch.timestamps[i]!;
        return { value, timestamp: ts === NO_TIMESTAMP ? undefined : ts };
      });
      if (edge === 0) this.captured.push(...(records as OutputRecord<O>[]));
      else {
        const id = this.sideTags[edge - 1]!.id;
        const list = this.side.get(id) ?? [];
        list.push(...records);
        this.side.set(id, list);
      }
    } else if (m.t === 'wm' && edge === 0) this.watermarksOut.push(m.wm);
  }

  private flush(): void {
    for (const o of this.outputs) o.flush();
    for (const w of this.writers) w.flush();
  }

  /** Feeds one record (to input 0 or 1). */
  processElement(value: unknown, timestamp?: number, input = 0): this {
    this.ops[0]!.processBatch({ values: [value], timestamps: [timestamp ?? NO_TIMESTAMP] }, input);
    this.flush();
    return this;
  }

  /** Advances the watermark of an input; the operators see the minimum over inputs. */
  processWatermark(watermark: number, input = 0): this {
    this.inputWatermarks[input] = watermark;
    const min = Math.min(...this.inputWatermarks);
    if (min > this.watermarkOf[0]!.wm) {
      this.watermarkOf[0]!.wm = min;
      this.ops[0]!.processWatermark(min);
      this.flush();
    }
    return this;
  }

  /** Moves processing time forward and fires due processing-time timers. */
  setProcessingTime(time: number): this {
    this.time = time;
    for (let i = 0; i < this.ops.length; i++) {
      const op = this.ops[i]!;
      const next = op.nextProcessingTime?.();
      if (next !== undefined && next <= time) op.onProcessingTime?.(time);
      this.flush();
    }
    return this;
  }

  /** Ends the input: final watermark, then end of input for every operator. */
  async endInput(): Promise<this> {
    if (this.ended) return this;
    this.ended = true;
    this.inputWatermarks.fill(MIN_WATERMARK);
    this.processWatermark(Number.POSITIVE_INFINITY, 0);
    if (this.inputWatermarks.length > 1) this.processWatermark(Number.POSITIVE_INFINITY, 1);
    for (const op of this.ops) {
      await op.endInput();
      this.flush();
    }
    return this;
  }

  /** Records emitted so far (main output), with timestamps. */
  output(): OutputRecord<O>[] {
    return this.captured.slice();
  }
  /** Values emitted so far (main output). */
  values(): O[] {
    return this.captured.map((r) => r.value);
  }
  /** Records emitted to a side output given in the options. */
  sideOutput<X>(tag: OutputTag<X>): OutputRecord<X>[] {
    return (this.side.get(tag.id) ?? []).slice() as OutputRecord<X>[];
  }
  /** Watermarks forwarded downstream. */
  watermarks(): number[] {
    return this.watermarksOut.slice();
  }
  /** Forgets the output captured so far. */
  clearOutput(): this {
    this.captured.length = 0;
    this.side.clear();
    this.watermarksOut.length = 0;
    return this;
  }

  async close(): Promise<void> {
    for (const op of this.ops) await op.close();
  }
}
