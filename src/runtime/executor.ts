import { dirname, join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { summarizeRecord } from '../core/errors.js';
import type { InputProgress } from '../core/source.js';
import type { JobConfig } from '../plan/job-plan.js';
import { type ThreadTrace, TraceRecorder, traceNow, type WakeCause, WakeKind } from './analysis/activity-trace.js';
import { BatchCodec } from './batch-codec.js';
import type { ChannelMessage, ChannelTransport } from './channel-message.js';
import {
  type CheckpointMetadata,
  CorruptCheckpointError,
  cachedMetadataReader,
  checkpointDirName,
  INLINE_STATE_BYTES,
  METADATA,
  type ReferencedFile,
  readReferencedState,
  readStateFile,
  type StateFileRef,
  writeStateFile,
} from './checkpoint/checkpoint-storage.js';
import { resolveChain } from './checkpoint/incremental.js';
import { decodeSnapshot, encodeSnapshot, type OperatorSnapshot, type SubtaskSnapshot } from './checkpoint/snapshot.js';
import type { ExecutionGraph } from './execution-graph.js';
import { type JobLogs, STDERR_LOGS } from './logging/job-logger.js';
import type { SubtaskSample } from './metrics/subtask-sample.js';
import { addMetrics, type OperatorMetrics } from './operator-metrics.js';
import { Outbox, type PeerItem } from './outbox.js';
import { Subtask, type SubtaskHost } from './subtask.js';
import { alignmentLayout, WatermarkAlignment } from './watermark-alignment.js';

/** How long a failing executor waits for its subtasks to close before it reports the failure. */
const FAILURE_CLOSE_TIMEOUT_MS = 5_000;
/** Passes of a round start only within this many ms of its start (a pass steps every runnable subtask once). */
const ROUND_BUDGET_MS = 10;
/** How often the stall watch checks that runnable work has a round scheduled (see `Executor.watchStall`). */
const STALL_WATCH_MS = 1000;

/**
 * One postMessage between executors: everything one pass of the loop produced for that thread (see {@link Outbox}).
 * `at` is when it was posted (absolute ms), stamped only while the activity trace is recorded.
 */
type PeerMessage = { t: 'items'; items: PeerItem[]; at?: number };
/**
 * A channel's credit for a sender on another thread: records consumed since the last credit sent, the receiver's
 * latest batch limit, and the limit the sender was last sent.
 */
type HeldCredit = { edge: number; from: number; to: number; records: number; limit: number; sentLimit: number };

/** The wake cause of a thread woken by something the trace cannot name (a coordinator command). */
const UNKNOWN_WAKE: WakeCause = { kind: WakeKind.Unknown, vertex: -1, subtask: -1, since: Number.NaN };

/**
 * The error for a batch that postMessage refused because a record in it is not data (a function, a symbol, a class
 * with private state…): names the receiving operator and the record.
 */
function uncopyableRecord(operator: string, record: unknown, cause: unknown): Error {
  return new Error(
    `a record sent to ${operator} on another thread cannot be copied there: ${summarizeRecord(record)} ` +
      `(${cause instanceof Error ? cause.message : String(cause)}). Records crossing threads must be data: ` +
      'plain objects, arrays, strings, numbers, booleans, bigints, dates, maps, sets, typed arrays.',
    { cause },
  );
}

/** Which thread runs subtask `index` of a vertex. */
export function threadOf(index: number, threads: number): number {
  return index % threads;
}

/** How an executor takes part in checkpoints. */
export interface ExecutorCheckpointing {
  /** The checkpoint root directory. */
  readonly root: string;
  /** State up to this many bytes goes into the metadata instead of a file (default 16 KiB). */
  readonly inlineStateBytes?: number;
  /** A subtask's state file for checkpoint `id` is durable; `references` are earlier files it builds on. */
  onAck(id: number, ref: StateFileRef, alignmentMs: number, references: ReferencedFile[]): void;
  /** Every subtask on this thread has consumed all its input; the final checkpoint may be taken. */
  onDrained(): void;
  /**
   * Shared with the coordinator: slot `thread` holds this thread's input count (records its sources read plus
   * processing-time timers fired), which tells the coordinator whether anything new came in (see
   * `CoordinatorHooks.activity`).
   */
  readonly activity?: Int32Array;
}

export interface ExecutorProgress {
  sourceRecords: number;
  sinkRecords: number;
  /** Bytes read of the sources' bounded input, when every source subtask knows its input's size. */
  inputBytes?: InputProgress;
  /** Set when some source subtask cannot tell its progress in bytes (then there is no `inputBytes`). */
  inputSizeUnknown?: boolean;
}

/** The progress of several threads together. */
export function sumProgress(progress: readonly ExecutorProgress[]): ExecutorProgress {
  let sourceRecords = 0;
  let sinkRecords = 0;
  let readBytes = 0;
  let totalBytes = 0;
  let known = false;
  let unknown = false;
  for (const p of progress) {
    sourceRecords += p.sourceRecords;
    sinkRecords += p.sinkRecords;
    unknown ||= p.inputSizeUnknown === true;
    if (p.inputBytes === undefined) continue;
    known = true;
    readBytes += p.inputBytes.readBytes;
    totalBytes += p.inputBytes.totalBytes;
  }
  if (unknown) return { sourceRecords, sinkRecords, inputSizeUnknown: true };
  return known ? { sourceRecords, sinkRecords, inputBytes: { readBytes, totalBytes } } : { sourceRecords, sinkRecords };
}

/**
 * Runs the subtasks placed on one thread. A single loop: fire due processing-time timers, give every runnable
 * subtask one step, flush partial output buffers, then either continue (work was done) or sleep until a message,
 * an asynchronous completion or a timer wakes it. Steps never await, so the loop yields to the event loop between
 * rounds and channel messages from other threads get delivered.
 */
export class Executor implements ChannelTransport {
  readonly subtasks: Subtask[] = [];
  private readonly byVertex = new Map<number, Subtask[]>();
  private readonly codec = new BatchCodec();
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private failed = false;
  private resolveDone!: () => void;
  private rejectDone!: (e: unknown) => void;
  readonly done: Promise<void>;

  constructor(
    readonly thread: number,
    readonly threads: number,
    private readonly graph: ExecutionGraph,
    config: JobConfig,
    private readonly peers: (MessagePort | undefined)[],
    readonly executionId: string,
    private readonly checkpointing?: ExecutorCheckpointing,
    private readonly jobLogs: JobLogs = STDERR_LOGS,
    /** Copy function objects for every subtask even when each has a thread of its own (see `RunOptions`). */
    copyFunctions = false,
    /** The run's watermark alignment slots (`watermark-alignment.ts`), when a strategy asks for alignment. */
    alignment?: SharedArrayBuffer,
  ) {
    const layout = alignmentLayout(graph);
    const slots = alignment === undefined ? undefined : new BigInt64Array(alignment);
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    const host: SubtaskHost = {
      transport: this,
      credit: (edge, from, to, records, limit) => this.credit(edge, from, to, records, limit),
      wakeup: (cause) => this.wakeup(cause),
      fail: (e) => this.fail(e),
      now: () => Date.now(),
      executionId,
      exactlyOnce: checkpointing !== undefined,
      snapshotTaken: (s) => this.persist(s),
      logs: jobLogs,
      watermarkAlignment: (vertex, subtask) => {
        const l = layout.byVertex.get(vertex);
        return l === undefined || slots === undefined ? undefined : new WatermarkAlignment(slots, l, subtask);
      },
    };
    for (const v of graph.vertices) {
      const list: Subtask[] = [];
      for (let i = 0; i < v.parallelism; i++) {
        if (threadOf(i, threads) !== thread) continue;
        const s = new Subtask(v, i, config, host, copyFunctions || v.parallelism > threads);
        list[i] = s;
        this.subtasks.push(s);
      }
      this.byVertex.set(v.id, list);
    }
    peers.forEach((port, t) => {
      port?.on('message', (m: PeerMessage) => this.onPeerMessage(m, t));
    });
  }

  /** Opens every subtask; when one fails, closes them all (what opened holds files and native stores) and rethrows. */
  async open(): Promise<void> {
    try {
      for (const s of this.subtasks) await s.open();
    } catch (e) {
      await this.closeSubtasksBounded();
      throw e;
    }
  }

  start(): void {
    if (this.subtasks.length === 0) this.resolveDone();
    else {
      this.stallWatch = setInterval(() => this.watchStall(), STALL_WATCH_MS);
      this.wakeup();
    }
  }

  /** Rounds of the loop run so far, and their count at the stall watch's last check. */
  private rounds = 0;
  private roundsAtWatch = -1;
  private stallWatch: NodeJS.Timeout | undefined;

  /**
   * A safety net for the loop's invariant: work that can run has a round scheduled. Whatever makes a subtask runnable
   * (a message, a credit, a source's data, an asynchronous result) calls {@link wakeup}, so this should never find
   * anything; but a wake-up that went missing would leave the thread waiting forever with work it could do, and the
   * job hanging without an error. Once a second it checks for runnable work with no round scheduled, or a round
   * scheduled that has not run since the last check (the event loop has run this timer since, so it would have), and
   * resumes the loop, saying so.
   */
  private watchStall(): void {
    if (this.failed || this.inRound) return;
    const stalled = this.scheduled
      ? this.rounds === this.roundsAtWatch
        ? this.subtasks[0]
        : undefined
      : this.subtasks.find((s) => s.runnable());
    this.roundsAtWatch = this.rounds;
    if (stalled === undefined) return;
    this.jobLogs
      .forOperator(
        {
          vertex: stalled.vertex.name,
          vertexId: stalled.vertex.id,
          subtask: stalled.index,
          operator: stalled.vertex.name,
        },
        stalled.vertex.parallelism,
      )
      .warn(
        `thread ${this.thread + 1} had work ready but no round of its loop ${this.scheduled ? 'ran' : 'scheduled'} ` +
          `for ${STALL_WATCH_MS / 1000} s (a missed wake-up in the engine); resumed it`,
      );
    this.scheduled = false;
    this.wakeup();
  }

  // ---- transport ----
  send(edge: number, from: number, to: number, message: ChannelMessage): void {
    const target = this.graph.edges[edge]!.to;
    const thread = threadOf(to, this.threads);
    if (thread === this.thread) {
      this.byVertex.get(target)![to]!.enqueue(edge, from, message);
      // Outside a round, a subtask's asynchronous work (async I/O completing) sends: that woke the thread.
      this.wakeup(
        this.tracer !== undefined && !this.inRound ? this.asyncWake(this.graph.edges[edge]!.from, from) : undefined,
      );
      return;
    }
    const out = this.outboxFor(thread);
    if (message.t === 'batch') {
      out.addBatch(edge, from, to, this.codec.encode(message.batch), message.batch.values);
    } else out.addControl(edge, from, to, message);
    this.postIfOutsideRound();
  }

  /**
   * A receiver on this thread consumed `records` of channel (edge, from → to). A credit for a sender on another
   * thread is held until a batch limit's worth has been consumed, or until something else goes to that thread, and
   * then rides along: on a sparse channel (Stateful Functions' messages, a selective filter) a credit of its own
   * was half of all messages between threads, and each message wakes the other thread. Holding never stalls the
   * sender: it stops only when its records in flight reach its credits × the limit it was last sent, and what is
   * held stays below that limit, so some of those records are still to be consumed here, and consuming them releases
   * the credit.
   */
  private credit(edge: number, from: number, to: number, records: number, limit: number): void {
    const source = this.graph.edges[edge]!.from;
    const thread = threadOf(from, this.threads);
    if (thread === this.thread) {
      this.writerOf(source, from, edge).addCredit(to, records, limit);
      return;
    }
    const held = (this.heldCredits[thread] ??= new Map());
    const key = `${edge}:${from}:${to}`;
    let c = held.get(key);
    if (c === undefined) {
      // Nothing sent yet: the sender's limit is not known here, so the first credit goes at once.
      c = { edge, from, to, records: 0, limit, sentLimit: 0 };
      held.set(key, c);
    }
    c.records += records;
    c.limit = limit;
    if (c.records < Math.min(limit, c.sentLimit)) return;
    this.sendCredit(this.outboxFor(thread), c);
    this.postIfOutsideRound();
  }

  private sendCredit(out: Outbox, c: HeldCredit): void {
    out.addCredit(c.edge, c.from, c.to, c.records, c.limit);
    c.records = 0;
    c.sentLimit = c.limit;
  }

  /** Per other thread, by channel: credits held back, and the limit last sent (see {@link credit}). */
  private readonly heldCredits: (Map<string, HeldCredit> | undefined)[] = [];

  private outboxFor(thread: number): Outbox {
    return (this.outboxes[thread] ??= new Outbox());
  }

  /**
   * Something was sent outside a round of the loop (a source's barrier when a checkpoint is triggered, a credit
   * returned by asynchronous work): no round end will post it, so post now.
   */
  private postIfOutsideRound(): void {
    if (!this.inRound) this.postOutboxes();
  }

  /** What this thread has to send to each other thread, posted after every pass of the loop. */
  private readonly outboxes: (Outbox | undefined)[] = [];
  private inRound = false;

  /** Posts every outbox: one postMessage per thread with messages waiting. */
  private postOutboxes(): void {
    for (let t = 0; t < this.outboxes.length; t++) {
      const out = this.outboxes[t];
      if (out === undefined || out.empty) continue;
      this.outboxes[t] = undefined;
      const held = this.heldCredits[t];
      if (held !== undefined) for (const c of held.values()) if (c.records > 0) this.sendCredit(out, c);
      try {
        const message: PeerMessage =
          this.tracer === undefined
            ? { t: 'items', items: out.items }
            : { t: 'items', items: out.items, at: traceNow() };
        this.peers[t]!.postMessage(message, out.transfer);
      } catch (e) {
        const bad = out.uncopyable();
        if (bad === undefined) throw e;
        throw uncopyableRecord(this.graph.edges[bad.edge]!.target, bad.record, e);
      }
    }
  }

  private writerOf(vertex: number, subtask: number, edge: number) {
    const s = this.byVertex.get(vertex)![subtask]!;
    const w = s.writers.find((x) => x.edge === edge);
    if (w === undefined) throw new Error(`no writer for edge ${edge} on ${s.name}`);
    return w;
  }

  private onPeerMessage(m: PeerMessage, from: number): void {
    if (m.at !== undefined && this.tracer !== undefined) {
      this.noteWake({ kind: WakeKind.Peer, vertex: from, subtask: -1, since: m.at });
    }
    try {
      for (const item of m.items) {
        if (item.t === 'credit') {
          this.writerOf(this.graph.edges[item.edge]!.from, item.from, item.edge).addCredit(
            item.to,
            item.records,
            item.limit,
          );
          continue;
        }
        const target = this.graph.edges[item.edge]!.to;
        const msg: ChannelMessage =
          item.m.t === 'batch' ? { t: 'batch', batch: this.codec.decode(item.m.enc) } : item.m;
        this.byVertex.get(target)![item.to]!.enqueue(item.edge, item.from, msg);
      }
      this.wakeup();
    } catch (e) {
      this.fail(e);
    }
  }

  // ---- loop ----
  /** Runs the loop soon; `cause` says what woke the thread (recorded only while the activity trace is on). */
  wakeup(cause?: WakeCause): void {
    if (this.tracer !== undefined && !this.inRound) this.noteWake(cause ?? UNKNOWN_WAKE);
    if (this.scheduled || this.failed) return;
    this.scheduled = true;
    setImmediate(this.loop);
  }

  private readonly loop = (): void => {
    this.scheduled = false;
    this.rounds++;
    if (this.failed) return;
    if (this.tracer !== undefined && !Number.isNaN(this.sleptAt)) {
      this.tracer.waiting(this.sleptAt, traceNow(), this.wakeCause);
      this.sleptAt = Number.NaN;
      this.wakeCause = undefined;
    }
    this.inRound = true;
    try {
      this.round();
      this.postOutboxes();
    } catch (e) {
      this.fail(e);
    } finally {
      this.inRound = false;
    }
  };

  /** performance.now() when time was last booked to the subtasks (see {@link SubtaskTimes}). */
  private accountedAt = performance.now();

  /** Books the time since the last accounting to every subtask's state, which is then re-read. */
  private account(): void {
    const now = performance.now();
    const elapsed = now - this.accountedAt;
    this.accountedAt = now;
    for (const s of this.subtasks) s.times.account(elapsed, s.waitState());
  }

  /** The figures of every subtask on this thread, with time booked up to now. */
  samples(): SubtaskSample[] {
    this.account();
    const now = Date.now();
    return this.subtasks.map((s) => s.sample(now, this.cancelled));
  }

  private round(): void {
    const now = Date.now();
    const tracer = this.tracer;
    let next = Number.POSITIVE_INFINITY;
    for (const s of this.subtasks) {
      const t = s.nextProcessingTime();
      if (t === undefined) continue;
      if (t <= now) {
        const before = tracer === undefined ? 0 : traceNow();
        this.timersFired++;
        s.fireProcessingTimers(now);
        tracer?.processing(before, traceNow(), s.vertex.id, s.index, 0);
      }
      const after = s.nextProcessingTime();
      if (after !== undefined && after < next) {
        next = after;
        if (tracer !== undefined)
          this.timerWake = { kind: WakeKind.Timer, vertex: s.vertex.id, subtask: s.index, since: Number.NaN };
      }
    }
    let worked = false;
    // Several passes per round amortise the cost of yielding to the event loop, within a time budget: timers, I/O
    // completions (a checkpoint's file writes) and messages from other threads wait for the round to end. The first
    // pass always runs: the round sleeps when it found nothing to do, so a budget spent before the first pass (the
    // thread preempted or a GC pause between the two clock reads) must not pass for that, or runnable work would wait
    // for a wake-up that never comes.
    const roundStart = performance.now();
    for (let pass = 0; pass < 4 && (pass === 0 || performance.now() - roundStart < ROUND_BUDGET_MS); pass++) {
      let any = false;
      for (const s of this.subtasks) {
        if (!s.runnable()) continue;
        // Two clock reads per step (a batch or a few messages), never per record.
        const before = performance.now();
        const recordsBefore = s.recordsIn;
        s.step();
        const after = performance.now();
        s.times.roundBusyMs += after - before;
        if (tracer !== undefined) {
          s.tracedStepMs += after - before;
          const origin = performance.timeOrigin;
          tracer.processing(origin + before, origin + after, s.vertex.id, s.index, s.recordsIn - recordsBefore);
        }
        any = true;
      }
      if (!any) break;
      worked = true;
      // Credits and batches for other threads go out after every pass, not only at the end of the round: a sender
      // waiting for credit would otherwise stall for the rest of this round.
      this.postOutboxes();
    }
    for (const s of this.subtasks) for (const w of s.writers) w.flush();
    this.account();
    this.publishActivity();
    if (this.subtasks.every((s) => s.done)) {
      // With checkpoints, output becomes visible only through a completed checkpoint: wait for the final one.
      if (this.checkpointing === undefined) this.finish();
      else if (!this.drained) {
        this.drained = true;
        this.checkpointing.onDrained();
      }
      return;
    }
    if (worked) this.wakeup();
    else {
      if (tracer !== undefined) this.sleptAt = traceNow();
      if (next < Number.POSITIVE_INFINITY) this.sleepUntil(next);
    }
  }

  /** Times a subtask fired due processing-time timers (part of the input count, see {@link publishActivity}). */
  private timersFired = 0;

  /** Stores this thread's input count where the coordinator reads it (see `ExecutorCheckpointing.activity`). */
  private publishActivity(): void {
    const slots = this.checkpointing?.activity;
    if (slots === undefined) return;
    let n = this.timersFired;
    for (const s of this.subtasks) if (s.isSource) n += s.recordsIn;
    Atomics.store(slots, this.thread, n | 0);
  }

  // ---- activity trace (see analysis/critical-path.ts) ----
  private tracer: TraceRecorder | undefined;
  /** Absolute time the thread went to sleep (NaN while it is not sleeping). */
  private sleptAt = Number.NaN;
  /** What woke the sleeping thread, once something did. */
  private wakeCause: WakeCause | undefined;
  /** The subtask whose processing-time timer the thread sleeps until. */
  private timerWake: WakeCause | undefined;

  /** Starts recording this thread's activity (steps and waits with their causes) until the executor ends. */
  startTrace(capacity?: number): void {
    if (this.tracer !== undefined) return;
    this.tracer = new TraceRecorder(this.thread, capacity);
    for (const s of this.subtasks) s.timeOperators();
  }

  /** What was recorded since the last call, with the subtasks' figures now; undefined when not recording. */
  takeTrace(finished: boolean): ThreadTrace | undefined {
    if (this.tracer === undefined) return undefined;
    const operators = this.subtasks.map((s) => ({ vertex: s.vertex.id, subtask: s.index, ms: s.operatorMs() }));
    return this.tracer.take(this.samples(), operators, finished);
  }

  /** The first thing to wake a sleeping thread is its cause; an unknown cause gives way to a known one. */
  private noteWake(cause: WakeCause): void {
    if (Number.isNaN(this.sleptAt)) return;
    if (this.wakeCause === undefined || this.wakeCause.kind === WakeKind.Unknown) this.wakeCause = cause;
  }

  private asyncWake(vertex: number, subtask: number): WakeCause {
    return { kind: WakeKind.Async, vertex, subtask, since: Number.NaN };
  }

  private sleepUntil(time: number): void {
    if (this.timer !== undefined && this.timerAt <= time) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = time;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.wakeup(this.timerWake);
      },
      Math.max(0, time - Date.now()),
    );
  }

  /** Stops the loop for good: no further round, no wake-up by the sleep timer or the stall watch. */
  private stopLoop(): void {
    this.failed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    clearInterval(this.stallWatch);
  }

  private finish(): void {
    this.stopLoop();
    Promise.all(this.subtasks.map((s) => s.close())).then(() => this.resolveDone(), this.rejectDone);
  }

  private drained = false;

  // ---- checkpoints ----
  private persist(snapshot: SubtaskSnapshot): void {
    const cp = this.checkpointing;
    if (cp === undefined || this.failed || this.abandoned.has(snapshot.checkpointId)) return;
    const dir = join(cp.root, checkpointDirName(snapshot.checkpointId));
    const subtask = this.subtasks.find((s) => s.vertex.id === snapshot.vertexId && s.index === snapshot.subtaskIndex);
    const name = `s-${snapshot.vertexId}-${snapshot.subtaskIndex}.state`;
    // Incremental state names the earlier links it builds on (checkpoint and name); the metadata's references say
    // where each is kept (a file or that checkpoint's metadata), with its size and checksum.
    const references = new Map<string, ReferencedFile>();
    for (const op of Object.values(snapshot.operators)) {
      for (const link of op.keyedChain ?? []) {
        const written = this.written.get(`${link.checkpointId}/${link.name}`);
        if (written === undefined)
          throw new Error(`state file ${link.name} of checkpoint ${link.checkpointId} is unknown`);
        const checkpointDir = checkpointDirName(link.checkpointId);
        references.set(`${checkpointDir}/${link.name}`, { ...written, checkpointDir });
      }
    }
    const inlineLimit = cp.inlineStateBytes ?? INLINE_STATE_BYTES;
    writeStateFile(dir, name, encodeSnapshot(snapshot), Object.keys(snapshot.operators), inlineLimit).then(
      (ref) => {
        this.remember(snapshot.checkpointId, ref);
        cp.onAck(snapshot.checkpointId, ref, subtask?.lastAlignmentMs ?? 0, [...references.values()]);
      },
      (e) => this.fail(e),
    );
  }

  /** State this thread stored for recent checkpoints (incremental chains refer to it), without inline payloads. */
  private readonly written = new Map<string, Omit<ReferencedFile, 'checkpointDir'>>();
  private remember(checkpointId: number, ref: StateFileRef): void {
    const { inline, ...stored } = ref;
    this.written.set(`${checkpointId}/${ref.name}`, inline === undefined ? stored : { ...stored, inMetadata: true });
    // Forget files no current or future chain link of this thread's subtasks can name.
    let oldest = Number.POSITIVE_INFINITY;
    for (const s of this.subtasks) oldest = Math.min(oldest, s.oldestReferencedCheckpoint());
    for (const key of this.written.keys()) {
      if (Number(key.slice(0, key.indexOf('/'))) < oldest) this.written.delete(key);
    }
  }

  /** Starts checkpoint `id` on this thread's subtasks. */
  triggerCheckpoint(id: number, full: boolean): void {
    for (const s of this.subtasks) s.triggerCheckpoint(id, full);
    this.wakeup();
  }

  /** Checkpoints abandoned by the coordinator whose snapshots are not written (forgotten once a later one completes). */
  private readonly abandoned = new Set<number>();

  /** The coordinator abandoned checkpoint `id`: every subtask on this thread gives it up. */
  abortCheckpoint(id: number): void {
    this.abandoned.add(id);
    for (const s of this.subtasks) s.abortCheckpoint(id);
    this.wakeup();
  }

  /** Checkpoint `id` is complete; `final` ends the job on this thread once operators have been told. */
  notifyCheckpointComplete(id: number, final: boolean): void {
    for (const a of this.abandoned) if (a < id) this.abandoned.delete(a);
    Promise.all(this.subtasks.map((s) => s.notifyCheckpointComplete(id))).then(
      () => {
        if (final) this.finish();
      },
      (e) => this.fail(e),
    );
  }

  /** Restores every subtask from a checkpoint before the job starts. */
  async restore(dir: string, metadata: CheckpointMetadata): Promise<void> {
    const byUid = new Map<string, OperatorSnapshot[]>();
    const needed = new Set(this.subtasks.flatMap((s) => s.vertex.nodes.map((n) => n.uid)));
    const referenced = new Map((metadata.references ?? []).map((r) => [`${r.checkpointDir}/${r.name}`, r]));
    const metadataOf = cachedMetadataReader();
    for (const ref of metadata.files) {
      if (!ref.operators.some((uid) => needed.has(uid))) continue;
      const snapshot = decodeSnapshot(await readStateFile(dir, ref));
      for (const [uid, op] of Object.entries(snapshot.operators)) {
        // Incremental: apply the earlier links, then this one, into one full snapshot.
        await resolveChain(uid, op, async (link) => {
          const checkpointDir = checkpointDirName(link.checkpointId);
          // Files of earlier versions carry each link's size and checksum themselves.
          const r =
            referenced.get(`${checkpointDir}/${link.name}`) ??
            (link.sha256 === undefined
              ? undefined
              : { name: link.name, size: link.size!, sha256: link.sha256, operators: [], checkpointDir });
          if (r === undefined) {
            throw new CorruptCheckpointError(
              `${ref.name} builds on ${link.name} of checkpoint ${link.checkpointId}, which ${METADATA} does not list`,
            );
          }
          return decodeSnapshot(await readReferencedState(dirname(dir), r, metadataOf));
        });
        const list = byUid.get(uid) ?? [];
        list.push(op);
        byUid.set(uid, list);
      }
    }
    for (const s of this.subtasks) await s.restore((uid) => byUid.get(uid) ?? []);
  }

  /** Stops the loop where it is (no final watermark, as Flink's cancel) and closes every subtask. */
  cancel(): void {
    if (this.failed) return;
    this.cancelled = true;
    this.finish();
  }
  cancelled = false;

  fail(e: unknown): void {
    if (this.failed) return;
    this.stopLoop();
    void this.closeSubtasksBounded().then(() => this.rejectDone(e));
  }

  /**
   * Best effort: releases the resources (open files, native state stores) of user functions and connectors before a
   * failure is reported, since the thread is terminated after that; bounded so a hanging close cannot hide it.
   */
  private async closeSubtasksBounded(): Promise<void> {
    const closed = Promise.allSettled(this.subtasks.map((s) => s.close()));
    const bound = new Promise((resolve) => setTimeout(resolve, FAILURE_CLOSE_TIMEOUT_MS).unref());
    await Promise.race([closed, bound]);
  }

  progress(): ExecutorProgress {
    const parts: ExecutorProgress[] = [];
    for (const s of this.subtasks) {
      if (!s.isSource) {
        parts.push({ sourceRecords: 0, sinkRecords: s.sinkRecordsIn });
        continue;
      }
      const inputBytes = s.inputProgress();
      parts.push({
        sourceRecords: s.recordsIn,
        sinkRecords: s.sinkRecordsIn,
        ...(inputBytes === undefined ? { inputSizeUnknown: true } : { inputBytes }),
      });
    }
    return sumProgress(parts);
  }

  /** Counters of the operators on this thread, summed over their subtasks. */
  operatorMetrics(): OperatorMetrics[] {
    const total: OperatorMetrics[] = [];
    for (const s of this.subtasks) addMetrics(total, s.operatorMetrics());
    return total;
  }

  unconsumedSideRecords(): Record<string, number> {
    const total: Record<string, number> = {};
    for (const s of this.subtasks) for (const [k, v] of s.unconsumedSideRecords()) total[k] = (total[k] ?? 0) + v;
    return total;
  }

  closePorts(): void {
    for (const p of this.peers) p?.close();
  }
}
