import { SegmentKind, type Timeline, WakeKind } from './activity-trace.js';

export type { Timeline } from './activity-trace.js';

/** Critical time of one vertex by what it was doing, in ms (averaged over the walks, see {@link criticalPath}). */
export interface VertexCriticalTime {
  /** Steps of its subtasks on the path. */
  processingMs: number;
  /** Its asynchronous work the path waited for (async I/O calls, a sink's writes). */
  asyncMs: number;
  /** A source of it waiting for input from outside. */
  inputMs: number;
  /** Waiting for its processing-time timers. */
  timerMs: number;
  /** Critical time per subtask index (all kinds). */
  readonly bySubtask: number[];
  /** Step time of all its subtasks in the window, on or off the path. */
  stepMs: number;
  /** Step time per subtask index: how the vertex's work is spread (data skew shows here). */
  readonly stepBySubtask: number[];
  /** Records its steps took in during the window (a source: records emitted). */
  records: number;
}

/** The critical path of a window: per vertex, and what is not attributed to any vertex. */
export interface CriticalPath {
  readonly from: number;
  readonly to: number;
  /** Indexed by vertex id. */
  readonly vertices: VertexCriticalTime[];
  /** Messages in transit between threads on the path (posting to the receiver's next round), ms. */
  communicationMs: number;
  /** Gaps between segments on the path (the loop itself: flushing, yielding to the event loop), ms. */
  overheadMs: number;
  /** Waits whose cause is unknown, and time before a thread's first or after its last segment, ms. */
  unknownMs: number;
  /** Walks that started (threads with activity in the window). */
  walks: number;
}

/** The largest index whose segment starts before `t`, or −1. */
function lastBefore(tl: Timeline, t: number): number {
  let lo = 0;
  let hi = tl.count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (tl.t0[mid]! < t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * The critical path of the window [from, to] through the activity of executor threads (SnailTrail's model): each
 * thread's timeline is a sequence of processing segments (a subtask's step) and waits, and a wait is linked to what
 * ended it. Walking backwards from `to`:
 * - a processing segment lies on the path and is attributed to its subtask;
 * - a wait ended by another thread's message jumps to that thread at the time it posted the message (the time in
 *   between is communication);
 * - a wait ended by a subtask's asynchronous work, a source's input or a timer is attributed to that subtask from
 *   when the work (or the source's wait) began, and the walk continues on the same thread from there (work that
 *   overlapped it on this thread did not delay it);
 * - anything else (unknown waits, gaps) is not attributed to a vertex.
 * Time strictly decreases at every jump, so the walk ends (cycles are impossible). One walk starts at `to` on every
 * thread with activity in the window; the result is the mean over the walks, so a vertex's critical time divided
 * by the window length is its critical participation (0…1).
 * `parallelism[v]` is vertex v's parallelism; pure: the timelines are not changed.
 */
export function criticalPath(
  timelines: readonly Timeline[],
  from: number,
  to: number,
  parallelism: readonly number[],
): CriticalPath {
  const result: CriticalPath = {
    from,
    to,
    vertices: parallelism.map((p) => ({
      processingMs: 0,
      asyncMs: 0,
      inputMs: 0,
      timerMs: 0,
      bySubtask: new Array<number>(p).fill(0),
      stepMs: 0,
      stepBySubtask: new Array<number>(p).fill(0),
      records: 0,
    })),
    communicationMs: 0,
    overheadMs: 0,
    unknownMs: 0,
    walks: 0,
  };
  for (const tl of timelines) {
    for (let i = 0; i < tl.count; i++) {
      if (tl.kind[i] !== SegmentKind.Processing) continue;
      const a = Math.max(tl.t0[i]!, from);
      const b = Math.min(tl.t1[i]!, to);
      const v = result.vertices[tl.vertex[i]!];
      if (v === undefined || b < a || tl.t1[i]! <= from) continue;
      v.stepMs += b - a;
      const k = tl.subtask[i]!;
      if (k >= 0 && k < v.stepBySubtask.length) v.stepBySubtask[k]! += b - a;
      v.records += tl.records[i]!;
    }
  }
  const starts = timelines.map((_, k) => k).filter((k) => active(timelines[k]!, from, to));
  if (starts.length === 0) return result;
  const w = 1 / starts.length;
  result.walks = starts.length;
  const limit = timelines.reduce((n, tl) => n + tl.count, 0) * 2 + 16;
  for (const start of starts) walk(timelines, start, from, to, w, limit, result);
  return result;
}

function active(tl: Timeline, from: number, to: number): boolean {
  for (let i = lastBefore(tl, to); i >= 0; i--) if (tl.t1[i]! > from) return true;
  return false;
}

function walk(
  timelines: readonly Timeline[],
  start: number,
  from: number,
  to: number,
  w: number,
  limit: number,
  r: CriticalPath,
): void {
  let th = start;
  let tl = timelines[th]!;
  let t = to;
  let i = lastBefore(tl, t);
  for (let guard = 0; t > from && guard < limit; guard++) {
    if (i < 0) {
      r.unknownMs += (t - from) * w;
      return;
    }
    const s0 = tl.t0[i]!;
    const s1 = tl.t1[i]!;
    if (s1 < t) {
      const g = Math.max(s1, from);
      // After a thread's last segment (it finished or sleeps at the window's end) there is nothing to blame.
      if (t === to) r.unknownMs += (t - g) * w;
      else r.overheadMs += (t - g) * w;
      t = g;
      if (t <= from) return;
    }
    const end = t;
    const begin = Math.max(s0, from);
    if (tl.kind[i] === SegmentKind.Processing) {
      attribute(r, tl.vertex[i]!, tl.subtask[i]!, end - begin, w, 'processingMs');
      t = s0;
      i--;
      continue;
    }
    const cause = tl.cause[i]!;
    const since = tl.records[i]!;
    const target = tl.vertex[i]!;
    if (cause === WakeKind.Peer && since < end && target >= 0 && target < timelines.length && target !== th) {
      r.communicationMs += (end - Math.max(since, from)) * w;
      th = target;
      tl = timelines[th]!;
      t = since;
      i = lastBefore(tl, t);
      continue;
    }
    const kind =
      cause === WakeKind.Async
        ? 'asyncMs'
        : cause === WakeKind.Source
          ? 'inputMs'
          : cause === WakeKind.Timer
            ? 'timerMs'
            : undefined;
    if (kind !== undefined && r.vertices[target] !== undefined) {
      const began = Number.isNaN(since) ? s0 : Math.min(since, s0);
      attribute(r, target, tl.subtask[i]!, end - Math.max(began, from), w, kind);
      t = began;
      i = lastBefore(tl, t);
      continue;
    }
    r.unknownMs += (end - begin) * w;
    t = s0;
    i--;
  }
}

function attribute(
  r: CriticalPath,
  vertex: number,
  subtask: number,
  ms: number,
  w: number,
  kind: 'processingMs' | 'asyncMs' | 'inputMs' | 'timerMs',
): void {
  const v = r.vertices[vertex];
  if (v === undefined || ms <= 0) return;
  v[kind] += ms * w;
  if (subtask >= 0 && subtask < v.bySubtask.length) v.bySubtask[subtask]! += ms * w;
}

/** A vertex's critical time of every kind, ms. */
export function criticalMs(v: VertexCriticalTime): number {
  return v.processingMs + v.asyncMs + v.inputMs + v.timerMs;
}
