import type { SubtaskSample } from '../metrics/subtask-sample.js';

/** What a trace segment is: a step of one subtask, or the thread sleeping until something woke it. */
export enum SegmentKind {
  Processing = 0,
  Waiting = 1,
}

/** What ended a wait (woke the sleeping thread). */
export enum WakeKind {
  /** Nothing known (a coordinator command such as a checkpoint trigger, or the end of the run). */
  Unknown = 0,
  /** Batches or credits posted by another executor thread. */
  Peer = 1,
  /** A subtask's own asynchronous work finished (async I/O, a sink's write, an operator's wake-up). */
  Async = 2,
  /** A source that had no input (returned 'wait') has input again. */
  Source = 3,
  /** A processing-time timer of a subtask became due. */
  Timer = 4,
}

/**
 * Why a sleeping executor thread woke up. `since` is the absolute time (ms, {@link traceNow}) the cause began: when
 * a peer posted the message, when the asynchronous operation or the source's wait started; NaN when unknown.
 */
export interface WakeCause {
  readonly kind: WakeKind;
  /** Peer: the sending thread; otherwise the vertex whose work woke the thread. */
  readonly vertex: number;
  /** The subtask index (−1 for a peer). */
  readonly subtask: number;
  readonly since: number;
}

/** One executor thread's segments in time order (the arrays of a {@link ThreadTrace}, possibly several joined). */
export interface Timeline {
  readonly count: number;
  readonly kind: Uint8Array;
  readonly t0: Float64Array;
  readonly t1: Float64Array;
  readonly vertex: Int32Array;
  readonly subtask: Int32Array;
  /** Processing: records taken in (a source: records emitted). Waiting: the cause's `since`. */
  readonly records: Float64Array;
  readonly cause: Uint8Array;
}

/**
 * The activity of one executor thread over a stretch of time, as the coordinator receives it: parallel arrays of
 * `count` segments in time order. Processing segments carry (vertex, subtask, records taken in); waiting segments
 * carry their wake cause (`cause`; vertex/subtask/`since` as in {@link WakeCause}, kept in `vertex`, `subtask` and
 * `records`). `samples` are the thread's cumulative subtask figures at `until`.
 */
export interface ThreadTrace extends Timeline {
  readonly thread: number;
  /** Absolute time (ms) the trace was taken: it covers the thread's activity up to here. */
  readonly until: number;
  /** Segments were dropped because the recorder's buffer was full (the trace under-reports). */
  readonly truncated: boolean;
  /** The thread has ended: nothing will follow this trace. */
  readonly finished: boolean;
  readonly samples: readonly SubtaskSample[];
  /** Cumulative ms per plan node of each subtask's chain at `until` (see {@link OperatorTimes}). */
  readonly operators: readonly OperatorTimes[];
}

/** How one subtask's step time splits over its chain's plan nodes (cumulative ms, source first). */
export interface OperatorTimes {
  readonly vertex: number;
  readonly subtask: number;
  readonly ms: readonly number[];
}

/** Absolute time in ms that agrees across worker threads (each thread's clock origin differs). */
export function traceNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Segments one recorder holds between two takes, unless told otherwise (about 4 MB of typed arrays). */
export const DEFAULT_TRACE_CAPACITY = 1 << 17;

/**
 * Records one executor thread's activity into preallocated typed arrays (no allocation per segment). The executor
 * calls {@link processing} per step and {@link waiting} per wake-up; the thread ships what was recorded with
 * {@link take}, which empties the buffer. When the buffer is full, further segments are dropped and the next trace
 * is marked truncated: recording stays bounded however long nobody takes.
 */
export class TraceRecorder {
  private count = 0;
  private truncated = false;
  private readonly kind: Uint8Array;
  private readonly t0: Float64Array;
  private readonly t1: Float64Array;
  private readonly vertex: Int32Array;
  private readonly subtask: Int32Array;
  private readonly records: Float64Array;
  private readonly cause: Uint8Array;

  constructor(
    readonly thread: number,
    private readonly capacity = DEFAULT_TRACE_CAPACITY,
  ) {
    this.kind = new Uint8Array(capacity);
    this.t0 = new Float64Array(capacity);
    this.t1 = new Float64Array(capacity);
    this.vertex = new Int32Array(capacity);
    this.subtask = new Int32Array(capacity);
    this.records = new Float64Array(capacity);
    this.cause = new Uint8Array(capacity);
  }

  /** One step of subtask (vertex, subtask) from t0 to t1 (absolute ms) that took in `records`. */
  processing(t0: number, t1: number, vertex: number, subtask: number, records: number): void {
    const i = this.count;
    if (i === this.capacity) {
      this.truncated = true;
      return;
    }
    this.kind[i] = SegmentKind.Processing;
    this.t0[i] = t0;
    this.t1[i] = t1;
    this.vertex[i] = vertex;
    this.subtask[i] = subtask;
    this.records[i] = records;
    this.cause[i] = WakeKind.Unknown;
    this.count = i + 1;
  }

  /** The thread slept from t0 to t1 (absolute ms) until `cause` woke it. */
  waiting(t0: number, t1: number, cause: WakeCause | undefined): void {
    const i = this.count;
    if (i === this.capacity) {
      this.truncated = true;
      return;
    }
    this.kind[i] = SegmentKind.Waiting;
    this.t0[i] = t0;
    this.t1[i] = t1;
    this.vertex[i] = cause?.vertex ?? -1;
    this.subtask[i] = cause?.subtask ?? -1;
    this.records[i] = cause?.since ?? Number.NaN;
    this.cause[i] = cause?.kind ?? WakeKind.Unknown;
    this.count = i + 1;
  }

  /** Everything recorded since the last take (copied out; the buffer starts over). */
  take(samples: readonly SubtaskSample[], operators: readonly OperatorTimes[], finished: boolean): ThreadTrace {
    const n = this.count;
    const trace: ThreadTrace = {
      thread: this.thread,
      count: n,
      kind: this.kind.slice(0, n),
      t0: this.t0.slice(0, n),
      t1: this.t1.slice(0, n),
      vertex: this.vertex.slice(0, n),
      subtask: this.subtask.slice(0, n),
      records: this.records.slice(0, n),
      cause: this.cause.slice(0, n),
      until: traceNow(),
      truncated: this.truncated,
      finished,
      samples,
      operators,
    };
    this.count = 0;
    this.truncated = false;
    return trace;
  }
}
