import type { Batch } from '../core/batch.js';
import { InputError } from '../core/errors.js';
import { keyGroupRange } from '../core/key.js';
import { OutputTag } from '../core/output-tag.js';
import type { BadRecord, InputProgress, PollResult, SourceOutput, SourceReader } from '../core/source.js';
import { MAX_WATERMARK, MIN_WATERMARK, NO_TIMESTAMP } from '../core/time.js';
import type { JobConfig } from '../plan/job-plan.js';
import type { PlanNode } from '../plan/nodes.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import { traceNow, type WakeCause, WakeKind } from './analysis/activity-trace.js';
import { ChainOutput } from './chain-output.js';
import type { ChannelMessage, ChannelTransport } from './channel-message.js';
import { IncrementalTracker, isIncremental } from './checkpoint/incremental.js';
import { type OperatorSnapshot, type SubtaskSnapshot, timerColumns } from './checkpoint/snapshot.js';
import type { Vertex } from './execution-graph.js';
import { type InputChannel, InputGate } from './input-gate.js';
import type { JobLogs } from './logging/job-logger.js';
import { type SubtaskSample, SubtaskTimes, sampleWatermark, WaitState } from './metrics/subtask-sample.js';
import type { OperatorContext, StreamOperator } from './operator.js';
import { createOperator, isKeyed } from './operator-factory.js';
import { NUM_LATE_RECORDS_DROPPED, OperatorMetricGroup, type OperatorMetrics } from './operator-metrics.js';
import { RecordWriter } from './record-writer.js';
import { SplitWatermarks, type WatermarkSink } from './split-watermarks.js';
import { createKeyedStateBackend } from './state-backend-factory.js';
import { StepPace } from './step-pace.js';
import { TimerQueue } from './timer-queue.js';
import type { WatermarkAlignment } from './watermark-alignment.js';

/** Side output of a source that receives malformed input when the job asks for dead letters. */
export const DEAD_LETTER_TAG = new OutputTag<BadRecord>('sluice.dead-letters');

/** What a subtask needs from the executor that runs it. */
export interface SubtaskHost {
  readonly transport: ChannelTransport;
  /**
   * Returns a credit for a consumed batch of `records` to the sender of channel (edge, from → to), with the most
   * records the receiver wants in one batch from now on (see `StepPace.batchLimit`).
   */
  credit(edge: number, from: number, to: number, records: number, batchLimit: number): void;
  /** Runs the subtask's executor loop soon; `cause` names what woke it (for the activity trace). */
  wakeup(cause?: WakeCause): void;
  fail(error: unknown): void;
  now(): number;
  readonly executionId: string;
  /** True when the job runs with checkpoints. */
  readonly exactlyOnce: boolean;
  /** A snapshot for a checkpoint is ready (operator states resolved); the host persists it and acknowledges. */
  snapshotTaken(snapshot: SubtaskSnapshot): void;
  /** Where user functions' log lines go. */
  readonly logs: JobLogs;
  /** This subtask's view of its watermark alignment group, when its vertex's strategy asks for alignment. */
  watermarkAlignment(vertex: number, subtask: number): WatermarkAlignment | undefined;
}

type Status = 'created' | 'running' | 'finishing' | 'finished' | 'failed';

/** How often a source paused by watermark alignment looks at its group again, ms. */
const ALIGNMENT_RECHECK_MS = 2;

/** A source's watermark sink that also stores each watermark (and idleness) in its alignment slot. */
function publishingTo(alignment: WatermarkAlignment, sink: WatermarkSink): WatermarkSink {
  let last = MIN_WATERMARK;
  return {
    collect: (value, timestamp) => sink.collect(value, timestamp),
    emitWatermark: (watermark) => {
      last = watermark;
      alignment.publish(watermark);
      sink.emitWatermark(watermark);
    },
    emitIdle: (idle) => {
      alignment.idle(idle, last);
      sink.emitIdle(idle);
    },
  };
}

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
  private readonly metricGroups: OperatorMetricGroup[] = [];
  private headOutput: ChainOutput | undefined;
  private reader: SourceReader<unknown> | undefined;
  private sourceWaiting = false;
  private readonly gate: InputGate;
  private readonly blockers = new Set<Promise<unknown>>();
  private readonly procTimeOps: StreamOperator[] = [];
  recordsIn = 0;
  /** Busy / back-pressured / idle time, booked by the executor once per round. */
  readonly times = new SubtaskTimes();
  /** Timer queues each operator created, in creation order (snapshotted with the operator). */
  private readonly timerQueues: TimerQueue[][] = [];
  private readonly backends: (KeyedStateBackend | undefined)[] = [];
  private readonly incremental: IncrementalTracker[] = [];
  /** Checkpoint whose barrier a source emits at its next step. */
  private pendingSourceBarrier: number | undefined;
  /** Checkpoints that must be self-contained (savepoints): no incremental state. */
  private readonly fullCheckpoints = new Set<number>();
  /** The snapshot taken when the subtask finished; it stands for the subtask in every later checkpoint. */
  private finalSnapshot: Promise<SubtaskSnapshot> | undefined;
  /** Checkpoints triggered while finishing, acknowledged once finished. */
  private readonly ackOnFinish: number[] = [];
  /** Milliseconds spent aligning barriers for the last checkpoint. */
  get lastAlignmentMs(): number {
    return this.gate.lastAlignmentMs;
  }

  constructor(
    readonly vertex: Vertex,
    readonly index: number,
    private readonly config: JobConfig,
    private readonly host: SubtaskHost,
    /** True when other subtasks of this vertex run on the same thread (their function objects must be copies). */
    private readonly sharesThread = false,
  ) {
    this.name = `${vertex.name} (${index + 1}/${vertex.parallelism})`;
    this.asyncWakeCause = { kind: WakeKind.Async, vertex: vertex.id, subtask: index, since: Number.NaN };
    this.gate = new InputGate(vertex, index);
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
        edge.target,
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
    this.alignment = this.host.watermarkAlignment(this.vertex.id, this.index);
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
      if (source.watermarks !== undefined) {
        this.splitWatermarks = new SplitWatermarks(
          source.watermarks,
          this.alignment === undefined ? this.headOutput : publishingTo(this.alignment, this.headOutput),
          () => Date.now(),
          this.config.runtimeMode === 'batch',
        );
      }
      this.reader = source.source.createReader({
        subtaskIndex: this.index,
        parallelism: this.vertex.parallelism,
        reportBadRecord: (bad) => this.badRecord(bad),
      });
    }
    // Wire watermark bookkeeping and idleness through the chain.
    // all[i] feeds the operator after it: ops[i] with a head output (sources), ops[i + 1] without.
    const all = this.headOutput ? [this.headOutput, ...this.outputs] : this.outputs;
    const fed = this.headOutput ? 0 : 1;
    for (let i = 0; i < all.length - 1; i++) {
      const next = all[i + 1]!;
      const op = this.ops[i + fed];
      all[i]!.idleListener = (idle) => {
        op?.processIdle?.(idle);
        next.emitIdle(idle);
      };
    }
    for (let i = 0; i < this.ops.length; i++) {
      this.contexts.push({ wm: MIN_WATERMARK });
      this.timerQueues.push([]);
      this.incremental.push(new IncrementalTracker());
    }
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
    let keyed: KeyedStateBackend | undefined;
    if (isKeyed(node)) {
      const [start, end] = keyGroupRange(this.index, maxP, p);
      keyed = createKeyedStateBackend(this.config, {
        executionId: this.host.executionId,
        vertex: this.vertex.id,
        subtask: this.index,
        operator: i,
        keyGroupStart: start,
        keyGroupEnd: end,
        clock: () => this.host.now(),
      });
    }
    this.backends[i] = keyed;
    const ctx = this.contexts[i]!;
    return {
      name: node.name,
      uid: node.uid,
      subtaskIndex: this.index,
      parallelism: p,
      maxParallelism: maxP,
      runtimeMode: this.config.runtimeMode,
      executionId: this.host.executionId,
      exactlyOnce: this.host.exactlyOnce,
      output: this.outputs[i]!,
      keyedState: keyed,
      watermarkAlignment: node.kind === 'timestamps' ? this.alignment : undefined,
      createTimerQueue: () => {
        const q = new TimerQueue();
        this.timerQueues[i]!.push(q);
        return q;
      },
      currentProcessingTime: () => this.host.now(),
      currentWatermark: () => ctx.wm,
      wakeup: () => this.host.wakeup(this.asyncWakeCause),
      blockUntil: (promise) => this.block(promise),
      fail: (e) => this.host.fail(e),
      metrics: (this.metricGroups[i] = new OperatorMetricGroup(node.uid, node.name)),
      logger: this.host.logs.forOperator(
        { vertex: this.vertex.name, vertexId: this.vertex.id, subtask: this.index, operator: node.name },
        p,
      ),
    };
  }

  private block(promise: Promise<unknown>): void {
    this.blockers.add(promise);
    // One clock read per blocking operation (rare: a full async queue, a sink's write), for the activity trace.
    const since = traceNow();
    promise.then(
      () => {
        this.blockers.delete(promise);
        this.host.wakeup(this.wakeCause(WakeKind.Async, since));
      },
      (e) => this.host.fail(e),
    );
  }

  /** Step time booked by the executor while the activity trace is recorded (see {@link operatorMs}). */
  tracedStepMs = 0;

  /** Starts measuring how a step's time splits between the chain's operators. */
  timeOperators(): void {
    if (this.headOutput !== undefined) this.headOutput.timed = true;
    for (const o of this.outputs) o.timed = true;
  }

  /**
   * Cumulative ms per plan node of the chain (source first) since {@link timeOperators}: each node's own time,
   * without the chained operators it feeds. Approximate: work outside steps (timers, asynchronous emits) is not in
   * the step time, so a node's share is clamped at 0.
   */
  operatorMs(): number[] {
    const feeding = this.headOutput === undefined ? this.outputs : [this.headOutput, ...this.outputs];
    const out: number[] = [];
    let outer = this.tracedStepMs;
    for (let j = 0; j < this.vertex.nodes.length; j++) {
      const inner = feeding[j]?.nestedMs ?? 0;
      out.push(Math.max(0, outer - inner));
      outer = inner;
    }
    return out;
  }

  /**
   * This subtask's asynchronous work as what woke its thread, made once: operators call `ctx.wakeup()` often (every
   * processing-time timer registered), and the cause is the same each time.
   */
  private readonly asyncWakeCause: WakeCause;

  /** This subtask's work as what woke its thread (see {@link WakeCause}). */
  private wakeCause(kind: WakeKind, since: number): WakeCause {
    return { kind, vertex: this.vertex.id, subtask: this.index, since };
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
    this.gate.enqueue(edge, from, message, this.name);
  }

  /** True when a step could make progress now. */
  runnable(): boolean {
    if (this.status !== 'running' || this.blockers.size > 0) return false;
    // A barrier needs no credit: emitting it keeps checkpoints moving under backpressure.
    if (this.pendingSourceBarrier !== undefined) return true;
    for (const w of this.writers) if (!w.hasCredit()) return false;
    if (this.reader !== undefined) return !this.sourceWaiting;
    return this.partial !== undefined || this.gate.readable();
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

  /** This subtask's watermark alignment group, when its strategy asks for one. */
  private alignment: WatermarkAlignment | undefined;

  /**
   * The source reads nothing until the slowest subtask of its alignment group is within the allowed drift again.
   * Other threads move that one on, so there is nothing to wait on but time: look again every couple of
   * milliseconds (a few shared-memory reads each; Flink's sources look once a second).
   */
  private waitForAlignment(): void {
    this.sourceWaiting = true;
    const since = traceNow();
    setTimeout(() => {
      this.sourceWaiting = false;
      this.host.wakeup(this.wakeCause(WakeKind.Source, since));
    }, ALIGNMENT_RECHECK_MS);
  }

  /** Per-split watermarks of a source whose strategy runs in this subtask (see `Source.splitWatermarks`). */
  private splitWatermarks: SplitWatermarks | undefined;

  private readonly sourceOut: SourceOutput<unknown> = {
    collect: (value, timestamp) => {
      if (this.splitWatermarks !== undefined) this.splitWatermarks.output('').collect(value, timestamp);
      else this.headOutput!.collect(value, timestamp ?? NO_TIMESTAMP);
    },
    forSplit: (split) => this.splitWatermarks?.output(split) ?? this.sourceOut,
    releaseSplit: (split) => this.splitWatermarks?.release(split),
  };

  private stepSource(): void {
    const reader = this.reader!;
    if (this.pendingSourceBarrier !== undefined) {
      const id = this.pendingSourceBarrier;
      this.pendingSourceBarrier = undefined;
      this.checkpoint(id);
      for (const w of this.writers) if (!w.hasCredit()) return;
    }
    if (this.sourceWaiting) return;
    if (this.alignment?.ahead() === true) {
      this.waitForAlignment();
      return;
    }
    const before = this.headOutput!.recordsOut;
    const startedAt = performance.now();
    let result: PollResult;
    try {
      result = reader.pollNext(this.sourceOut, Math.min(this.pace.slice(this.config.batchSize), this.outputRoom()));
      if (result !== 'end') this.splitWatermarks?.afterPoll();
    } finally {
      this.headOutput!.flush();
      this.flushFrom(0);
    }
    const polled = this.headOutput!.recordsOut - before;
    this.pace.record(polled, performance.now() - startedAt);
    this.recordsIn += polled;
    if (result === 'end') this.finishInput();
    else if (result === 'wait') {
      this.sourceWaiting = true;
      const since = traceNow();
      let available = reader.available?.() ?? new Promise<void>((r) => setTimeout(r, 1));
      const idleCheck = this.splitWatermarks?.nextIdleCheck();
      if (idleCheck !== undefined) {
        // Wake up when a silent split turns idle, even if no record comes, so it stops holding the watermark.
        const timer = new Promise<void>((r) => setTimeout(r, Math.max(1, idleCheck - Date.now())));
        available = Promise.race([available, timer]);
      }
      available.then(
        () => {
          this.sourceWaiting = false;
          this.host.wakeup(this.wakeCause(WakeKind.Source, since));
        },
        (e) => this.host.fail(e),
      );
    }
  }

  /** How many records a step takes in at once (whole batches unless the chain is slow per record). */
  private readonly pace = new StepPace();
  /**
   * A batch taken in slices (see {@link StepPace}): the rest is processed before anything else is polled, so no later
   * message of its channel (a watermark, a barrier, the end) overtakes its records; its credit goes back at its end.
   */
  private partial: { ch: InputChannel; batch: Batch; offset: number } | undefined;

  private stepInputs(maxMessages: number): void {
    const started = performance.now();
    for (let done = 0; done < maxMessages; done++) {
      const partial = this.partial;
      if (partial !== undefined) this.takeBatch(partial.ch, partial.batch, partial.offset);
      else {
        const next = this.gate.poll();
        if (next === undefined) return;
        this.handle(next[0], next[1]);
      }
      if (this.status !== 'running' || this.blockers.size > 0 || this.pace.spent(started)) return;
    }
  }

  /**
   * Records a step may emit before some output's credits run out (at least 1): a step stops there, so records wait
   * in front of a slow receiver as few batches of the size it asked for, not as everything one batch turned into.
   */
  private outputRoom(): number {
    let room = Number.POSITIVE_INFINITY;
    for (const w of this.writers) room = Math.min(room, w.room());
    return Math.max(1, room);
  }

  /** Processes the records of `batch` from `offset` on, or as many as the step's pace and the outputs' room allow. */
  private takeBatch(ch: InputChannel, batch: Batch, offset: number): void {
    const length = batch.values.length;
    const n = Math.min(this.pace.slice(length - offset), this.outputRoom());
    const end = offset + n;
    const part =
      offset === 0 && end === length
        ? batch
        : { values: batch.values.slice(offset, end), timestamps: batch.timestamps.slice(offset, end) };
    this.recordsIn += n;
    const before = performance.now();
    this.processBatch(part, ch.input);
    this.pace.record(n, performance.now() - before);
    if (end < length) {
      this.partial = { ch, batch, offset: end };
      return;
    }
    this.partial = undefined;
    this.host.credit(
      ch.edge,
      ch.from,
      this.index,
      length,
      this.pace.batchLimit(this.gate.channels.length, this.config.channelCredits, this.config.batchSize),
    );
  }

  private handle(ch: InputChannel, msg: ChannelMessage): void {
    if (msg.t === 'batch') {
      this.takeBatch(ch, msg.batch, 0);
      return;
    }
    if (msg.t === 'barrier') {
      if (msg.full && msg.id > this.lastSnapshotId) this.fullCheckpoints.add(msg.id);
      const aligned = this.gate.onBarrier(ch, msg.id);
      if (aligned !== undefined) this.checkpoint(aligned);
      return;
    }
    const change = this.gate.onControl(ch, msg);
    if (msg.t === 'end') {
      // An ended channel counts as aligned: all its records were processed before its end.
      const aligned = this.gate.onEndDuringAlignment();
      if (aligned !== undefined) this.checkpoint(aligned);
    }
    if (change.ended) {
      this.finishInput();
      return;
    }
    if (change.idle !== undefined) {
      this.ops[0]!.processIdle?.(change.idle);
      this.outputs[0]!.emitIdle(change.idle);
    }
    if (change.advance !== undefined) {
      this.setOpWatermark(0, change.advance);
      this.ops[0]!.processWatermark(change.advance);
      this.flushFrom(0);
    }
  }

  // ---- checkpoints ----

  /** The coordinator started checkpoint `id`: sources emit its barrier at their next step. */
  triggerCheckpoint(id: number, full = false): void {
    if (id <= this.lastSnapshotId) return; // its barrier overtook the trigger message
    if (full) this.fullCheckpoints.add(id);
    if (this.status === 'finished') this.ackFinal(id);
    else if (this.reader !== undefined && this.status === 'running') this.pendingSourceBarrier = id;
    // Other subtasks snapshot when the barrier has arrived on every input channel; if instead every input ends
    // first (upstream finished), they acknowledge with their final snapshot when they finish.
    else this.ackOnFinish.push(id);
  }
  private lastSnapshotId = 0;

  /**
   * The coordinator abandoned checkpoint `id` (it timed out): a source that has not emitted its barrier yet will not,
   * an alignment of it is given up (its blocked channels are read again), and the subtask will not acknowledge it
   * when it finishes. A snapshot already taken for it is not persisted (the executor drops it). Output a sink
   * pre-committed for it stays pending and is committed with the next checkpoint that completes.
   */
  abortCheckpoint(id: number): void {
    if (this.pendingSourceBarrier !== undefined && this.pendingSourceBarrier <= id)
      this.pendingSourceBarrier = undefined;
    this.gate.abort(id);
    const waiting = this.ackOnFinish.indexOf(id);
    if (waiting >= 0) this.ackOnFinish.splice(waiting, 1);
    this.fullCheckpoints.delete(id);
  }

  /** The first checkpoint that includes the final snapshot; its completion publishes what the final snapshot holds. */
  private finalCheckpoint: number | undefined;

  private ackFinal(id: number): void {
    this.finalCheckpoint ??= id;
    this.finalSnapshot!.then(
      (s) => this.host.snapshotTaken({ ...s, checkpointId: id }),
      (e) => this.host.fail(e),
    );
  }

  /** Snapshots every operator, then forwards the barrier; state is copied now, asynchronous parts resolve later. */
  private checkpoint(id: number): void {
    this.lastSnapshotId = id;
    const waiting = this.ackOnFinish.indexOf(id);
    if (waiting >= 0) this.ackOnFinish.splice(waiting, 1);
    const full = this.fullCheckpoints.delete(id);
    // Older entries belong to checkpoints that were superseded before this subtask aligned them.
    for (const older of this.fullCheckpoints) if (older < id) this.fullCheckpoints.delete(older);
    const snapshot = this.snapshot(id, false, full);
    for (const w of this.writers) w.barrier(id, full);
    snapshot.then(
      (s) => this.host.snapshotTaken(s),
      (e) => this.host.fail(e),
    );
  }

  /** The oldest checkpoint whose state file of this subtask an incremental link may still name (Infinity: none). */
  oldestReferencedCheckpoint(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const t of this.incremental) oldest = Math.min(oldest, t.oldestReferenced());
    return oldest;
  }

  /** The name of this subtask's state file in every checkpoint directory (incremental chains refer to it). */
  get stateFileName(): string {
    return `s-${this.vertex.id}-${this.index}.state`;
  }

  private snapshot(id: number, finished: boolean, full = false): Promise<SubtaskSnapshot> {
    const operators: Record<string, OperatorSnapshot> = {};
    const pending: Promise<unknown>[] = [];
    const nodes = this.vertex.nodes;
    const offset = nodes[0]!.kind === 'source' ? 1 : 0;
    // Only operators with state are listed: a restore refuses state it cannot map to an operator of the new plan,
    // and a stateless operator removed from a job has none to lose.
    if (this.reader?.snapshotState !== undefined) operators[nodes[0]!.uid] = { source: this.reader.snapshotState(id) };
    for (let i = 0; i < this.ops.length; i++) {
      const uid = nodes[i + offset]!.uid;
      const op = this.ops[i]!;
      const backend = this.backends[i];
      const s: OperatorSnapshot = {};
      if (backend !== undefined) {
        if (isIncremental(backend)) {
          // Savepoints and final snapshots are self-contained; other checkpoints store what changed.
          const { link, chain } = this.incremental[i]!.take(backend, id, this.stateFileName, full || finished);
          if (link instanceof Promise) pending.push(link.then((k) => (s.keyed = k)));
          else s.keyed = link;
          s.keyedChain = chain;
        } else if (backend.snapshotAsync !== undefined)
          pending.push(backend.snapshotAsync().then((k) => (s.keyed = k)));
        else s.keyed = backend.snapshot();
        s.timers = this.timerQueues[i]!.map((q) => timerColumns(q.all(), this.config.maxParallelism));
      }
      const list = op.snapshotList?.(id);
      if (list !== undefined) s.list = list;
      const state = op.snapshotState?.(id);
      if (state instanceof Promise) pending.push(state.then((v) => (s.operator = v)));
      else if (state !== undefined) s.operator = state;
      else if (backend === undefined && list === undefined) continue;
      operators[uid] = s;
    }
    return Promise.all(pending).then(() => ({
      checkpointId: id,
      vertexId: this.vertex.id,
      vertexName: this.vertex.name,
      subtaskIndex: this.index,
      parallelism: this.vertex.parallelism,
      finished,
      operators,
    }));
  }

  /**
   * Restores state from the snapshots of the previous run (all its subtasks of the operators in this vertex; the
   * parallelism may differ). Called after open(), before the first step.
   */
  async restore(previous: (uid: string) => OperatorSnapshot[]): Promise<void> {
    const nodes = this.vertex.nodes;
    const offset = nodes[0]!.kind === 'source' ? 1 : 0;
    if (this.reader !== undefined) {
      const states = previous(nodes[0]!.uid).map((s) => s.source);
      if (states.length > 0) this.reader.restoreState?.(states);
    }
    for (let i = 0; i < this.ops.length; i++) {
      const olds = previous(nodes[i + offset]!.uid);
      if (olds.length === 0) continue;
      const backend = this.backends[i];
      if (backend !== undefined) {
        const [start, end] = keyGroupRange(this.index, this.config.maxParallelism, this.vertex.parallelism);
        for (const old of olds) {
          // Decoded from the state file for this restore only: the backend may keep the values.
          if (old.keyed !== undefined) backend.restore(old.keyed, true);
          old.timers?.forEach((c, q) => {
            const queue = this.timerQueues[i]![q];
            if (queue === undefined) return;
            for (let t = 0; t < c.keys.length; t++) {
              const kg = c.kgs[t]!;
              if (kg >= start && kg < end) queue.register(c.keys[t]!, c.nsTable[c.nsIdx[t]!]!, c.times[t]!, kg);
            }
          });
        }
      }
      await this.ops[i]!.restoreState?.(olds.map((o) => o.operator));
      this.ops[i]!.restoreList?.(olds.map((o) => o.list));
    }
  }

  /** Checkpoint `id` completed: operators may now publish what they pre-committed for it. */
  async notifyCheckpointComplete(id: number): Promise<void> {
    this.backends.forEach((b, i) => {
      if (b !== undefined && isIncremental(b)) this.incremental[i]!.complete(id, b);
    });
    await this.reader?.notifyCheckpointComplete?.(id);
    for (const op of this.ops) await op.notifyCheckpointComplete?.(id);
    // The final snapshot was taken as checkpoint 0: it is complete once a checkpoint that includes it is.
    if (this.finalCheckpoint !== undefined && this.finalCheckpoint <= id && !this.finalNotified) {
      this.finalNotified = true;
      await this.reader?.notifyCheckpointComplete?.(0);
      for (const op of this.ops) await op.notifyCheckpointComplete?.(0);
    }
  }
  private finalNotified = false;

  private processBatch(batch: Batch, input: number): void {
    this.ops[0]!.processBatch(batch, input);
    this.flushFrom(0);
  }

  /** All input is consumed: final watermark, end of input through the chain, end-of-input to every channel. */
  private finishInput(): void {
    this.status = 'finishing';
    // An ended input holds no other subtask of its alignment group back.
    this.alignment?.publish(MAX_WATERMARK);
    if (this.headOutput !== undefined) this.headOutput.emitWatermark(MAX_WATERMARK);
    else if (this.gate.finalWatermark()) {
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
            this.host.wakeup(this.wakeCause(WakeKind.Async, Number.NaN));
          },
          (e) => this.host.fail(e),
        );
        return;
      }
    }
    this.headOutput?.end();
    for (const o of this.outputs) o.end();
    this.status = 'finished';
    // Only checkpoints read the final snapshot; without them, deep-copying all state at the end is wasted work
    // (seconds for the large join and window states of a SQL job).
    if (this.host.exactlyOnce) {
      this.finalSnapshot = this.snapshot(0, true);
      // Keep a failure for the checkpoint that needs it; an unused final snapshot must not be an unhandled rejection.
      this.finalSnapshot.catch(() => {});
    }
    for (const id of this.ackOnFinish.splice(0)) if (id > this.lastSnapshotId) this.ackFinal(id);
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

  /** Bytes read of this source subtask's bounded input; undefined for other subtasks and inputs of unknown size. */
  inputProgress(): InputProgress | undefined {
    return this.reader?.inputProgress?.();
  }

  /**
   * Records this source subtask could read but has not yet (see `SourceReader.backlog`); for a bounded input of known
   * size, estimated from the bytes left at the bytes per record read so far. Undefined when unknown or not a source.
   */
  backlog(): number | undefined {
    const r = this.reader;
    if (r === undefined) return undefined;
    const told = r.backlog?.();
    if (told !== undefined) return told;
    const progress = r.inputProgress?.();
    if (progress === undefined || progress.readBytes === 0) return undefined;
    return Math.round(((progress.totalBytes - progress.readBytes) * this.recordsIn) / progress.readBytes);
  }

  /**
   * The sample's figures for the autoscaler: a source's records read and backlog, records sent per key group over
   * keyed edges.
   */
  private scalingSample(): Pick<SubtaskSample, 'recordsRead' | 'backlog' | 'keyGroupsOut'> {
    const backlog = this.backlog();
    let keyGroupsOut: { edge: number; counts: Float64Array }[] | undefined;
    for (const w of this.writers) {
      if (w.keyGroupCounts === undefined) continue;
      (keyGroupsOut ??= []).push({ edge: w.edge, counts: w.keyGroupCounts.slice() });
    }
    return {
      ...(this.isSource ? { recordsRead: this.recordsIn } : {}),
      ...(backlog === undefined ? {} : { backlog }),
      ...(keyGroupsOut === undefined ? {} : { keyGroupsOut }),
    };
  }

  /** The counters of this subtask's operators. */
  operatorMetrics(): OperatorMetrics[] {
    return this.metricGroups.filter((g) => g !== undefined).map((g) => g.report());
  }

  /** Records handed to the sink that ends this subtask's chain (0 when the chain ends in no sink). */
  get sinkRecordsIn(): number {
    const n = this.ops.length;
    if (n === 0 || this.vertex.nodes[this.vertex.nodes.length - 1]!.kind !== 'sink') return 0;
    const feeding = n >= 2 ? this.outputs[n - 2] : this.headOutput;
    return feeding?.recordsOut ?? this.recordsIn;
  }

  get recordsOut(): number {
    const last = this.outputs[this.outputs.length - 1] ?? this.headOutput;
    return last?.recordsOut ?? 0;
  }

  /** What the subtask is doing until the executor's next round (for time accounting). */
  waitState(): WaitState {
    if (this.status === 'finished' || this.status === 'failed')
      return this.blockers.size > 0 ? WaitState.Busy : WaitState.Done;
    if (this.status === 'created') return WaitState.Idle;
    if (this.blockers.size > 0) return WaitState.Busy;
    for (const w of this.writers) if (!w.hasCredit()) return WaitState.BackPressured;
    return WaitState.Idle;
  }

  /** The subtask's figures now (cumulative over this attempt); `cancelled` when its executor was cancelled. */
  sample(time: number, cancelled: boolean): SubtaskSample {
    let late = 0;
    for (const g of this.metricGroups) if (g !== undefined) late += g.count(NUM_LATE_RECORDS_DROPPED);
    let entries = 0;
    for (const b of this.backends) entries += b?.approximateEntries?.() ?? 0;
    const last = this.outputs[this.outputs.length - 1] ?? this.headOutput;
    const input = this.contexts[0]?.wm ?? this.headOutput?.lastWatermark ?? Number.NEGATIVE_INFINITY;
    const status =
      this.status === 'created'
        ? 'CREATED'
        : this.status === 'finished'
          ? 'FINISHED'
          : this.status === 'failed'
            ? 'FAILED'
            : cancelled
              ? 'CANCELED'
              : 'RUNNING';
    return {
      vertex: this.vertex.id,
      subtask: this.index,
      time,
      status,
      recordsIn: this.isSource ? 0 : this.recordsIn,
      recordsOut: this.recordsOut,
      busyMs: this.times.busyMs,
      backPressuredMs: this.times.backPressuredMs,
      idleMs: this.times.idleMs,
      inputWatermark: sampleWatermark(input),
      outputWatermark: sampleWatermark(last?.lastWatermark ?? Number.NEGATIVE_INFINITY),
      lateRecordsDropped: late,
      stateEntries: entries,
      ...this.scalingSample(),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      for (const op of this.ops) await op.close();
      await this.reader?.close?.();
    } finally {
      await Promise.all(this.backends.map((b) => b?.dispose()));
    }
  }
  private closed = false;
}
