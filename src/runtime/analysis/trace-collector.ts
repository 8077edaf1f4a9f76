import type { ExecutionGraph } from '../execution-graph.js';
import type { Executor } from '../executor.js';
import type { OperatorTimes, ThreadTrace } from './activity-trace.js';
import { traceNow } from './activity-trace.js';
import { type BottleneckReport, bottleneckReport, type SubtaskTimesAt, type VertexInfo } from './bottleneck-report.js';
import { criticalPath, type Timeline } from './critical-path.js';

/** Asks a run for bottleneck reports (see `RunOptions.analysis`). */
export interface AnalysisOptions {
  /** Length of a window, ms: one report per window while the job runs. */
  readonly windowMs: number;
  /** Called with every window's report, and once at the end of the run (`final`) with its last window. */
  onReport(report: BottleneckReport): void;
}

/**
 * Gathers the activity traces the executor threads of one attempt ship (about twice a second) and analyses each
 * window once every thread has reported past its end (or finished). Keeps at most about two windows of segments:
 * the current one and the one before, so the report at the end covers a whole window even when the run ends just
 * after a window closed.
 */
export class TraceCollector {
  private readonly chunks: ThreadTrace[][];
  private readonly horizon: number[];
  private readonly vertices: VertexInfo[];
  private readonly parallelism: number[];
  /** When the first activity was recorded: windows start there (not while threads start and jobs load). */
  private started = traceNow();
  private from = this.started;
  private activitySeen = false;
  private truncated = false;
  private readonly before = new Map<string, SubtaskTimesAt>();
  private readonly latest = new Map<string, ThreadTrace['samples'][number]>();
  private ended = false;
  private readonly latestOperators = new Map<string, OperatorTimes>();
  private readonly operatorsBefore = new Map<string, OperatorTimes>();

  constructor(
    graph: ExecutionGraph,
    threads: number,
    private readonly options: AnalysisOptions,
  ) {
    if (!(options.windowMs > 0)) throw new Error(`analysis window must be > 0 ms, got ${options.windowMs}`);
    this.chunks = Array.from({ length: threads }, () => []);
    this.horizon = new Array<number>(threads).fill(this.started);
    this.vertices = graph.vertices.map((v) => ({
      id: v.id,
      name: v.name,
      parallelism: v.parallelism,
      isSource: v.nodes[0]!.kind === 'source',
      operators: v.nodes.map((n) => n.name),
      asyncOperators: v.nodes.filter((n) => n.kind === 'async' || n.kind === 'sink').map((n) => n.name),
    }));
    this.parallelism = graph.vertices.map((v) => v.parallelism);
  }

  /** A thread's trace since its previous one; reports every window it completes. */
  add(trace: ThreadTrace): void {
    if (this.ended) return;
    if (!this.activitySeen && trace.count > 0) {
      this.activitySeen = true;
      this.started = trace.t0[0]!;
      for (const list of this.chunks)
        for (const c of list) if (c.count > 0) this.started = Math.min(this.started, c.t0[0]!);
      this.from = this.started;
    }
    this.chunks[trace.thread]!.push(trace);
    this.truncated ||= trace.truncated;
    this.horizon[trace.thread] = trace.finished ? Number.POSITIVE_INFINITY : trace.until;
    for (const s of trace.samples) this.latest.set(`${s.vertex}/${s.subtask}`, s);
    for (const o of trace.operators) this.latestOperators.set(`${o.vertex}/${o.subtask}`, o);
    const windowMs = this.options.windowMs;
    for (;;) {
      const running = this.horizon.filter((h) => h !== Number.POSITIVE_INFINITY);
      if (running.length === 0) break; // every thread finished: finish() reports the end
      const to = this.from + windowMs;
      // A thread that has not reported for two windows (stuck in user code) does not hold the reports back, nor
      // make the others' traces pile up here.
      if (Math.min(...running) < to && Math.max(...running) < to + 2 * windowMs) break;
      this.report(this.from, to, false);
      this.from = to;
      this.forget(to - windowMs);
    }
  }

  /** The run ended: reports its last window (the last `windowMs` before the latest activity). */
  finish(): void {
    if (this.ended) return;
    this.ended = true;
    let end = this.from;
    for (const list of this.chunks) {
      for (const c of list) {
        end = Math.max(end, c.until);
        if (c.count > 0) end = Math.max(end, c.t1[c.count - 1]!);
      }
    }
    if (end <= this.started) return;
    const from = Math.max(this.started, end - this.options.windowMs);
    this.report(from, end, true);
  }

  private report(from: number, to: number, final: boolean): void {
    const timelines = this.chunks.map(join);
    const path = criticalPath(timelines, from, to, this.parallelism);
    const after = [...this.latest.values()];
    // The final report's busy % covers the whole attempt (its window may overlap the previous one).
    const before = final ? new Map<string, SubtaskTimesAt>() : this.before;
    const report = bottleneckReport(
      path,
      this.vertices,
      before,
      after,
      final,
      this.truncated,
      this.started,
      this.operatorWindow(final),
    );
    if (!final) {
      for (const s of after) this.before.set(`${s.vertex}/${s.subtask}`, s);
      for (const [k, o] of this.latestOperators) this.operatorsBefore.set(k, o);
    }
    this.truncated = false;
    this.options.onReport(report);
  }

  /** Per vertex, the step time per chain node since the previous window (the whole attempt for the final one). */
  private operatorWindow(final: boolean): Map<number, number[]> {
    const out = new Map<number, number[]>();
    for (const [key, o] of this.latestOperators) {
      const b = final ? undefined : this.operatorsBefore.get(key);
      const sum = out.get(o.vertex) ?? new Array<number>(o.ms.length).fill(0);
      for (let i = 0; i < o.ms.length; i++) sum[i]! += o.ms[i]! - (b?.ms[i] ?? 0);
      out.set(o.vertex, sum);
    }
    return out;
  }

  /** Drops chunks that end before `time`. */
  private forget(time: number): void {
    for (const list of this.chunks) {
      while (list.length > 0) {
        const c = list[0]!;
        const last = c.count === 0 ? c.until : c.t1[c.count - 1]!;
        if (last >= time) break;
        list.shift();
      }
    }
  }
}

/** One thread's chunks as one timeline. */
function join(list: readonly ThreadTrace[]): Timeline {
  if (list.length === 1) return list[0]!;
  const count = list.reduce((n, c) => n + c.count, 0);
  const out = {
    count,
    kind: new Uint8Array(count),
    t0: new Float64Array(count),
    t1: new Float64Array(count),
    vertex: new Int32Array(count),
    subtask: new Int32Array(count),
    records: new Float64Array(count),
    cause: new Uint8Array(count),
  };
  let at = 0;
  for (const c of list) {
    out.kind.set(c.kind, at);
    out.t0.set(c.t0, at);
    out.t1.set(c.t1, at);
    out.vertex.set(c.vertex, at);
    out.subtask.set(c.subtask, at);
    out.records.set(c.records, at);
    out.cause.set(c.cause, at);
    at += c.count;
  }
  return out;
}

/** The collector of an attempt's activity traces when the run asks for analysis (see `RunOptions.analysis`). */
export function traceCollectorFor(
  analysis: AnalysisOptions | undefined,
  graph: ExecutionGraph,
  threads: number,
): TraceCollector | undefined {
  return analysis === undefined ? undefined : new TraceCollector(graph, threads, analysis);
}

/** Ships the trace of an executor on the calling thread to `collector` twice a second; returns the stopper. */
export function shipLocalTrace(executor: Executor, collector: TraceCollector | undefined): (finished: boolean) => void {
  if (collector === undefined) return () => {};
  executor.startTrace();
  const timer = setInterval(() => collector.add(executor.takeTrace(false)!), 500);
  return (finished) => {
    clearInterval(timer);
    if (!finished) return;
    collector.add(executor.takeTrace(true)!);
    collector.finish();
  };
}
