import type { Batch } from '../core/batch.js';
import { InputError, SluiceError } from '../core/errors.js';
import { keyGroupRange } from '../core/key.js';
import { OutputTag } from '../core/output-tag.js';
import type { BadRecord, PollResult, SourceOutput, SourceReader } from '../core/source.js';
import { MAX_WATERMARK, MIN_WATERMARK, NO_TIMESTAMP } from '../core/time.js';
import type { JobConfig } from '../plan/job-plan.js';
import type { PlanNode } from '../plan/nodes.js';
import { HeapKeyedStateBackend } from '../state/heap-keyed-state-backend.js';
import { ChainOutput } from './chain-output.js';
import type { ChannelMessage, ChannelTransport } from './channel-message.js';
import { channelsPerTarget, type Vertex } from './execution-graph.js';
import type { OperatorContext, StreamOperator } from './operator.js';
import { createOperator, isKeyed } from './operator-factory.js';
import { RecordWriter } from './record-writer.js';
import { TimerQueue } from './timer-queue.js';

/** Side output of a source that receives malformed input when the job asks for dead letters. */
export const DEAD_LETTER_TAG = new OutputTag<BadRecord>('sluice.dead-letters');

/** What a subtask needs from the executor that runs it. */
export interface SubtaskHost {
  readonly transport: ChannelTransport;
  /** Returns a credit for a consumed batch to the sender of channel (edge, from → to). */
  credit(edge: number, from: number, to: number): void;
  wakeup(): void;
  fail(error: unknown): void;
  now(): number;
  readonly executionId: string;
}

interface InputChannel {
  readonly edge: number;
  readonly from: number;
  readonly input: number;
  readonly queue: ChannelMessage[];
  head: number;
  wm: number;
  idle: boolean;
  ended: boolean;
}

type Status = 'created' | 'running' | 'finishing' | 'finished' | 'failed';

/**
 * One parallel instance of a vertex: a source reader or an input gate at the head, then the chained operators, then
 * record writers. The executor calls `step()` when the subtask is runnable; a step does a bounded amount of work
 * (one source batch or a few input messages) and never awaits.
 */
export class Subtask {
  status: Status = 'created';
  readonly name: string;
  readonly writers: RecordWriter[] = [];
  private readonly ops: StreamOperator[] = [];
  private readonly outputs: ChainOutput[] = [];
  private readonly contexts: { wm: number }[] = [];
  private headOutput: ChainOutput | undefined;
  private reader: SourceReader<unknown> | undefined;
  private sourceWaiting = false;
  private readonly channels: InputChannel[] = [];
  private readonly channelIndex = new Map<string, InputChannel>();
  private nextChannel = 0;
  private inputWatermark = MIN_WATERMARK;
  private inputIdle = false;
  private endedChannels = 0;
  private readonly blockers = new Set<Promise<unknown>>();
  private readonly procTimeOps: StreamOperator[] = [];
  recordsIn = 0;

  constructor(
    readonly vertex: Vertex,
    readonly index: number,
    private readonly config: JobConfig,
    private readonly host: SubtaskHost,
    /** True when other subtasks of this vertex run on the same thread (their function objects must be copies). */
    private readonly sharesThread = false,
  ) {
    this.name = `${vertex.name} (${index + 1}/${vertex.parallelism})`;
    vertex.inputs.forEach((refs, input) => {
      for (const ref of refs) {
        const n = channelsPerTarget(ref.edge);
        for (let c = 0; c < n; c++) {
          const from = ref.edge.partitioning.kind === 'forward' ? index : c;
          const ch: InputChannel = {
            edge: ref.edge.id,
            from,
            input,
            queue: [],
            head: 0,
            wm: MIN_WATERMARK,
            idle: false,
            ended: false,
          };
          this.channels.push(ch);
          this.channelIndex.set(`${ref.edge.id}:${from}`, ch);
        }
      }
    });
  }

  get isSource(): boolean {
    return this.vertex.nodes[0]!.kind === 'source';
  }

  /** Creates operators, writers and state, and opens everything. */
  async open(): Promise<void> {
    const nodes = this.vertex.nodes;
    const mainWriters: RecordWriter[] = [];
    const sideWriters = new Map<string, RecordWriter[]>();
    for (const edge of this.vertex.outputs) {
      const w = new RecordWriter(
        edge.id,
        this.index,
        edge.partitioning,
        edge.targetParallelism,
        this.config.maxParallelism,
        this.config.batchSize,
        this.config.channelCredits,
        this.host.transport,
      );
      this.writers.push(w);
      if (edge.sideOutput === undefined) mainWriters.push(w);
      else {
        const list = sideWriters.get(edge.sideOutput.id) ?? [];
        list.push(w);
        sideWriters.set(edge.sideOutput.id, list);
      }
    }
    const operatorNodes = nodes[0]!.kind === 'source' ? nodes.slice(1) : nodes;
    for (const node of operatorNodes) this.ops.push(createOperator(node, this.sharesThread));
    const none = new Map<string, RecordWriter[]>();
    const maxBatch = this.config.batchSize;
    const outputFor = (i: number): ChainOutput => {
      const last = i === this.ops.length - 1;
      return new ChainOutput(this.ops[i + 1], last ? mainWriters : [], last ? sideWriters : none, maxBatch);
    };
    for (let i = 0; i < this.ops.length; i++) this.outputs.push(outputFor(i));
    const source = nodes[0]!;
    if (source.kind === 'source') {
      const onlySource = this.ops.length === 0;
      this.headOutput = new ChainOutput(
        this.ops[0],
        onlySource ? mainWriters : [],
        onlySource ? sideWriters : none,
        maxBatch,
      );
      this.reader = source.source.createReader({
        subtaskIndex: this.index,
        parallelism: this.vertex.parallelism,
        reportBadRecord: (bad) => this.badRecord(bad),
      });
    }
    // Wire watermark bookkeeping and idleness through the chain.
    const all = this.headOutput ? [this.headOutput, ...this.outputs] : this.outputs;
    for (let i = 0; i < all.length - 1; i++) {
      const next = all[i + 1]!;
      all[i]!.idleListener = (idle) => next.emitIdle(idle);
    }
    for (let i = 0; i < this.ops.length; i++) this.contexts.push({ wm: MIN_WATERMARK });
    if (this.headOutput) this.headOutput.onNextWatermark = (wm) => this.setOpWatermark(0, wm);
    this.outputs.forEach((o, i) => {
      o.onNextWatermark = (wm) => this.setOpWatermark(i + 1, wm);
    });

    for (let i = 0; i < this.ops.length; i++) {
      const node = operatorNodes[i]!;
      await this.ops[i]!.open(this.contextFor(node, i));
      if (this.ops[i]!.onProcessingTime) this.procTimeOps.push(this.ops[i]!);
    }
    await this.reader?.open?.();
    this.status = 'running';
  }

  private setOpWatermark(i: number, wm: number): void {
    const c = this.contexts[i];
    if (c !== undefined) c.wm = wm;
  }

  private contextFor(node: PlanNode, i: number): OperatorContext {
    const p = this.vertex.parallelism;
    const maxP = this.config.maxParallelism;
    let keyed: HeapKeyedStateBackend | undefined;
    if (isKeyed(node)) {
      const [start, end] = keyGroupRange(this.index, maxP, p);
      keyed = new HeapKeyedStateBackend(maxP, start, end, () => this.host.now());
    }
    const ctx = this.contexts[i]!;
    return {
      name: node.name,
      uid: node.uid,
      subtaskIndex: this.index,
      parallelism: p,
      maxParallelism: maxP,
      runtimeMode: this.config.runtimeMode,
      executionId: this.host.executionId,
      output: this.outputs[i]!,
      keyedState: keyed,
      createTimerQueue: () => new TimerQueue(),
      currentProcessingTime: () => this.host.now(),
      currentWatermark: () => ctx.wm,
      wakeup: () => this.host.wakeup(),
      blockUntil: (promise) => this.block(promise),
      fail: (e) => this.host.fail(e),
    };
  }

  private block(promise: Promise<unknown>): void {
    this.blockers.add(promise);
    promise.then(
      () => {
        this.blockers.delete(promise);
        this.host.wakeup();
      },
      (e) => this.host.fail(e),
    );
  }

  private badRecord(bad: BadRecord): void {
    const where = `${bad.file ?? bad.source}${bad.line === undefined ? '' : `:${bad.line}`}`;
    if (this.headOutput?.hasSideConsumer(DEAD_LETTER_TAG.id)) {
      this.headOutput.collectSide(DEAD_LETTER_TAG as OutputTag<unknown>, bad, NO_TIMESTAMP);
      return;
    }
    throw new InputError(`${where}: ${bad.reason}`, bad.file, bad.line);
  }

  /** Queues a message that arrived on channel (edge, from). */
  enqueue(edge: number, from: number, message: ChannelMessage): void {
    const ch = this.channelIndex.get(`${edge}:${from}`);
    if (ch === undefined) throw new SluiceError(`no channel ${edge}:${from} on ${this.name}`);
    ch.queue.push(message);
  }

  /** True when a step could make progress now. */
  runnable(): boolean {
    if (this.status !== 'running' || this.blockers.size > 0) return false;
    for (const w of this.writers) if (!w.hasCredit()) return false;
    if (this.reader !== undefined) return !this.sourceWaiting;
    for (const ch of this.channels) if (ch.head < ch.queue.length) return true;
    return false;
  }

  /** The earliest processing-time timer of any operator. */
  nextProcessingTime(): number | undefined {
    let min: number | undefined;
    for (const op of this.procTimeOps) {
      const t = op.nextProcessingTime?.();
      if (t !== undefined && (min === undefined || t < min)) min = t;
    }
    return min;
  }

  /** Fires due processing-time timers. */
  fireProcessingTimers(now: number): void {
    if (this.status !== 'running') return;
    for (let i = 0; i < this.ops.length; i++) {
      const op = this.ops[i]!;
      const t = op.nextProcessingTime?.();
      if (t !== undefined && t <= now) {
        op.onProcessingTime!(now);
        this.flushFrom(i);
      }
    }
  }

  private flushFrom(i: number): void {
    for (let k = i; k < this.outputs.length; k++) this.outputs[k]!.flush();
  }

  /** Does a bounded amount of work. */
  step(): void {
    if (this.reader !== undefined) this.stepSource();
    else this.stepInputs(8);
  }

  private readonly sourceOut: SourceOutput<unknown> = {
    collect: (value, timestamp) => this.headOutput!.collect(value, timestamp ?? NO_TIMESTAMP),
  };

  private stepSource(): void {
    const reader = this.reader!;
    const before = this.headOutput!.recordsOut;
    let result: PollResult;
    try {
      result = reader.pollNext(this.sourceOut, this.config.batchSize);
    } finally {
      this.headOutput!.flush();
      this.flushFrom(0);
    }
    this.recordsIn += this.headOutput!.recordsOut - before;
    if (result === 'end') this.finishInput();
    else if (result === 'wait') {
      this.sourceWaiting = true;
      const available = reader.available?.() ?? new Promise((r) => setTimeout(r, 1));
      available.then(
        () => {
          this.sourceWaiting = false;
          this.host.wakeup();
        },
        (e) => this.host.fail(e),
      );
    }
  }

  private stepInputs(maxMessages: number): void {
    const chs = this.channels;
    let done = 0;
    let idleRounds = 0;
    while (done < maxMessages && idleRounds < chs.length) {
      const ch = chs[this.nextChannel]!;
      this.nextChannel = this.nextChannel + 1 === chs.length ? 0 : this.nextChannel + 1;
      if (ch.head >= ch.queue.length) {
        idleRounds++;
        continue;
      }
      idleRounds = 0;
      const msg = ch.queue[ch.head]!;
      ch.queue[ch.head++] = undefined as unknown as ChannelMessage;
      if (ch.head === ch.queue.length) {
        ch.queue.length = 0;
        ch.head = 0;
      }
      done++;
      this.handle(ch, msg);
      if (this.status !== 'running' || this.blockers.size > 0) return;
    }
  }

  private handle(ch: InputChannel, msg: ChannelMessage): void {
    switch (msg.t) {
      case 'batch':
        this.recordsIn += msg.batch.values.length;
        this.processBatch(msg.batch, ch.input);
        this.host.credit(ch.edge, ch.from, this.index);
        return;
      case 'wm':
        if (msg.wm > ch.wm) ch.wm = msg.wm;
        break;
      case 'idle':
        ch.idle = msg.idle;
        break;
      case 'end':
        ch.ended = true;
        ch.wm = MAX_WATERMARK;
        this.endedChannels++;
        break;
    }
    this.updateWatermark();
  }

  private processBatch(batch: Batch, input: number): void {
    this.ops[0]!.processBatch(batch, input);
    this.flushFrom(0);
  }

  private updateWatermark(): void {
    if (this.endedChannels === this.channels.length) {
      this.finishInput();
      return;
    }
    let min = MAX_WATERMARK;
    let active = 0;
    for (const ch of this.channels) {
      if (ch.ended || ch.idle) continue;
      active++;
      if (ch.wm < min) min = ch.wm;
    }
    if (active === 0) {
      if (!this.inputIdle) {
        this.inputIdle = true;
        this.outputs[0]!.emitIdle(true);
      }
      return;
    }
    if (this.inputIdle) {
      this.inputIdle = false;
      this.outputs[0]!.emitIdle(false);
    }
    if (min > this.inputWatermark) {
      this.inputWatermark = min;
      this.setOpWatermark(0, min);
      this.ops[0]!.processWatermark(min);
      this.flushFrom(0);
    }
  }

  /** All input is consumed: final watermark, end of input through the chain, end-of-input to every channel. */
  private finishInput(): void {
    this.status = 'finishing';
    if (this.headOutput !== undefined) this.headOutput.emitWatermark(MAX_WATERMARK);
    else if (this.inputWatermark < MAX_WATERMARK) {
      this.inputWatermark = MAX_WATERMARK;
      this.setOpWatermark(0, MAX_WATERMARK);
      this.ops[0]!.processWatermark(MAX_WATERMARK);
    }
    this.headOutput?.flush();
    this.endOperators(0);
  }

  /** Calls endInput on operators from `from` on; an operator may return a promise to finish asynchronously. */
  private endOperators(from: number): void {
    for (let i = from; i < this.ops.length; i++) {
      const pending = this.ops[i]!.endInput();
      this.flushFrom(i);
      if (pending instanceof Promise) {
        pending.then(
          () => {
            this.flushFrom(i);
            this.endOperators(i + 1);
            this.host.wakeup();
          },
          (e) => this.host.fail(e),
        );
        return;
      }
    }
    this.headOutput?.end();
    for (const o of this.outputs) o.end();
    this.status = 'finished';
  }

  /** True once end-of-input went out and no asynchronous work is pending. */
  get done(): boolean {
    return this.status === 'finished' && this.blockers.size === 0;
  }

  /** Side-output records no edge consumed, e.g. late data without a late-data output. */
  unconsumedSideRecords(): Map<string, number> {
    const total = new Map<string, number>();
    for (const o of this.outputs) for (const [k, v] of o.unconsumedSide) total.set(k, (total.get(k) ?? 0) + v);
    return total;
  }

  get recordsOut(): number {
    const last = this.outputs[this.outputs.length - 1] ?? this.headOutput;
    return last?.recordsOut ?? 0;
  }

  async close(): Promise<void> {
    for (const op of this.ops) await op.close();
    await this.reader?.close?.();
  }
}
