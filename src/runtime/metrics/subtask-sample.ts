/**
 * What one subtask reports about itself, about once a second (piggy-backed on the progress reports of worker
 * threads) and once when its attempt ends. Every figure is cumulative over the attempt (counters and accumulated
 * times), so a lost or late sample loses nothing: rates are differences of two samples, computed by the monitor.
 * Watermarks are `null` before the first one (JSON has no -Infinity) and `Number.MAX_SAFE_INTEGER` after the last.
 */
export interface SubtaskSample {
  readonly vertex: number;
  readonly subtask: number;
  /** Epoch ms when the sample was taken. */
  readonly time: number;
  readonly status: 'CREATED' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED';
  /** Records that entered the subtask through its input channels (0 for sources, as in Flink). */
  readonly recordsIn: number;
  /** Records the chain's last operator emitted on its main output (0 for a chain ending in a sink). */
  readonly recordsOut: number;
  /** Time spent processing (steps, and waiting on an asynchronous operation of its own such as a sink's write). */
  readonly busyMs: number;
  /** Time it could not run because an output channel had no credit (downstream is slower). */
  readonly backPressuredMs: number;
  /** Time it waited for input. */
  readonly idleMs: number;
  readonly inputWatermark: number | null;
  readonly outputWatermark: number | null;
  readonly lateRecordsDropped: number;
  /** Keyed state entries held (heap backend; 0 where the backend cannot tell cheaply). */
  readonly stateEntries: number;
  /** Sources: records read from the outside. */
  readonly recordsRead?: number;
  /** Sources: records the subtask could read but has not yet (`SourceReader.backlog`), when known. */
  readonly backlog?: number;
  /** Records sent per key group (index) over each keyed output edge, cumulative: how load spreads over keys. */
  readonly keyGroupsOut?: readonly { readonly edge: number; readonly counts: Float64Array }[];
}

/** Watermark as a sample carries it. */
export function sampleWatermark(wm: number): number | null {
  if (wm === Number.NEGATIVE_INFINITY) return null;
  if (wm === Number.POSITIVE_INFINITY) return Number.MAX_SAFE_INTEGER;
  return wm;
}

/** What a subtask is doing between two executor rounds, for time accounting. */
export enum WaitState {
  Idle = 0,
  BackPressured = 1,
  Busy = 2,
  Done = 3,
}

/**
 * Accumulated busy / back-pressured / idle time of one subtask, in ms. The executor adds measured step time to
 * `busy`; the rest of each interval between two accountings goes to the state the subtask was in at the end of the
 * previous round (plain numbers, updated once per round, never per record).
 */
export class SubtaskTimes {
  busyMs = 0;
  backPressuredMs = 0;
  idleMs = 0;
  /** Step time of the current round (subtracted from the interval, which it is part of). */
  roundBusyMs = 0;
  state: WaitState = WaitState.Idle;

  /** Books the interval `elapsedMs` that just ended; `next` is the state from now on. */
  account(elapsedMs: number, next: WaitState): void {
    const waited = elapsedMs - this.roundBusyMs;
    this.busyMs += this.roundBusyMs;
    this.roundBusyMs = 0;
    if (waited > 0) {
      if (this.state === WaitState.BackPressured) this.backPressuredMs += waited;
      else if (this.state === WaitState.Idle) this.idleMs += waited;
      else if (this.state === WaitState.Busy) this.busyMs += waited;
    }
    this.state = next;
  }
}
