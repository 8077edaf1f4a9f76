import type { SubtaskSample } from '../metrics/subtask-sample.js';
import { type CriticalPath, criticalMs } from './critical-path.js';

/** A vertex (a chain of operators) as the report names it. */
export interface VertexInfo {
  readonly id: number;
  /** Its operators' names joined " -> ". */
  readonly name: string;
  readonly parallelism: number;
  readonly isSource: boolean;
  /** Names of its plan nodes in chain order (source first), when known. */
  readonly operators?: readonly string[];
  /** Names of its operators that do asynchronous work (async I/O, sinks), to word "waiting on its calls". */
  readonly asyncOperators?: readonly string[];
}

/** One vertex's figures over a window. */
export interface VertexReport {
  readonly vertex: number;
  readonly name: string;
  readonly parallelism: number;
  /** Busy time of its busiest subtask (steps and its own asynchronous work) ÷ window, %. */
  readonly busyPct: number;
  /** Back-pressured time of its most back-pressured subtask ÷ window, %. */
  readonly backPressuredPct: number;
  /** Records taken in per second of the window, all subtasks (sources: records emitted). */
  readonly recordsPerSecond: number;
  /** Records taken in per second of step time, per subtask: what one subtask can do (null without steps). */
  readonly trueRate: number | null;
  /** Share of the window on the critical path, %. */
  readonly criticalPct: number;
  /** The critical share by activity, %: processing, asynchronous work, waiting for input, timers. */
  readonly criticalBy: { processing: number; async: number; input: number; timer: number };
  /** For a chain of several operators: each one's share of the vertex's step time, %, in chain order. */
  readonly operators?: { name: string; sharePct: number }[];
  /** Set when one subtask does more than 1.5× an even share of the vertex's work (step time; p > 1). */
  readonly hotSubtask?: { subtask: number; sharePct: number };
}

/** What `sluice analyze` prints per window, and the REST document of the latest window. */
export interface BottleneckReport {
  /** Absolute ms (epoch) of the window. */
  readonly from: number;
  readonly to: number;
  /** The report at the end of the run (its last window). */
  readonly final: boolean;
  /** Some thread's trace buffer overflowed: figures under-report. */
  readonly truncated: boolean;
  readonly vertices: VertexReport[];
  /** Critical share not attributed to a vertex, %. */
  readonly other: { communication: number; overhead: number; unknown: number };
  /** The vertex with the largest critical participation and why; undefined when nothing was recorded. */
  readonly bottleneck: { vertex: number; name: string; reason: string } | undefined;
}

/** Cumulative busy and back-pressured ms of one subtask at a time (for differences over a window). */
export interface SubtaskTimesAt {
  readonly time: number;
  readonly busyMs: number;
  readonly backPressuredMs: number;
}

/**
 * Builds the report of a window from its critical path and the subtasks' cumulative figures at the window's start
 * (`before`, keyed `vertex/subtask`; absent = zero at `origin`, by default the window's start) and end (`after`):
 * busy and back-pressured % are over [before, after], the rest over the window. `operatorMs` holds, per vertex id,
 * the window's step time per plan node of its chain (see `Subtask.operatorMs`). Pure.
 */
export function bottleneckReport(
  path: CriticalPath,
  vertices: readonly VertexInfo[],
  before: ReadonlyMap<string, SubtaskTimesAt>,
  after: readonly SubtaskSample[],
  final: boolean,
  truncated: boolean,
  origin = path.from,
  operatorMs: ReadonlyMap<number, readonly number[]> = new Map(),
): BottleneckReport {
  const windowMs = Math.max(path.to - path.from, 1e-9);
  const pct = (ms: number) => (100 * ms) / windowMs;
  const reports: VertexReport[] = vertices.map((v) => {
    let busy = 0;
    let bp = 0;
    for (const s of after) {
      if (s.vertex !== v.id) continue;
      const b = before.get(`${s.vertex}/${s.subtask}`);
      const span = Math.max(s.time - (b?.time ?? origin), 1);
      busy = Math.max(busy, Math.min(1, (s.busyMs - (b?.busyMs ?? 0)) / span));
      bp = Math.max(bp, Math.min(1, (s.backPressuredMs - (b?.backPressuredMs ?? 0)) / span));
    }
    const c = path.vertices[v.id]!;
    const critical = criticalMs(c);
    const split = operatorShares(v, operatorMs.get(v.id));
    const report: VertexReport = {
      ...(split === undefined ? {} : { operators: split }),
      vertex: v.id,
      name: v.name,
      parallelism: v.parallelism,
      busyPct: 100 * busy,
      backPressuredPct: 100 * bp,
      recordsPerSecond: (1000 * c.records) / windowMs,
      trueRate: c.stepMs > 0 ? (1000 * c.records) / c.stepMs : null,
      criticalPct: pct(critical),
      criticalBy: {
        processing: pct(c.processingMs),
        async: pct(c.asyncMs),
        input: pct(c.inputMs),
        timer: pct(c.timerMs),
      },
    };
    // Skew is judged by work, not by critical time: the path follows whichever subtask is behind, so even a mild
    // imbalance concentrates it on one subtask; a hot key shows as one subtask doing most of the work.
    if (v.parallelism > 1 && c.stepMs > 0) {
      let k = 0;
      for (let i = 1; i < c.stepBySubtask.length; i++) if (c.stepBySubtask[i]! > c.stepBySubtask[k]!) k = i;
      const share = c.stepBySubtask[k]! / c.stepMs;
      if (share > 1.5 / v.parallelism) return { ...report, hotSubtask: { subtask: k, sharePct: 100 * share } };
    }
    return report;
  });
  let top: VertexReport | undefined;
  for (const r of reports) if (r.criticalPct > 0 && (top === undefined || r.criticalPct > top.criticalPct)) top = r;
  return {
    from: path.from,
    to: path.to,
    final,
    truncated,
    vertices: reports,
    other: { communication: pct(path.communicationMs), overhead: pct(path.overheadMs), unknown: pct(path.unknownMs) },
    bottleneck:
      top === undefined ? undefined : { vertex: top.vertex, name: top.name, reason: reasonFor(top, vertices) },
  };
}

/** The one-line reason a vertex is the bottleneck, by what dominates its critical time. */
function reasonFor(r: VertexReport, vertices: readonly VertexInfo[]): string {
  const by = r.criticalBy;
  const on = `on the critical path ${r.criticalPct.toFixed(0)}% of the window`;
  const dominant = Math.max(by.processing, by.async, by.input, by.timer);
  if (dominant === by.input) {
    return `${on}, waiting for input from outside: the job keeps up with its input`;
  }
  const hot = skewNote(r);
  if (dominant === by.async) {
    const names = vertices.find((v) => v.id === r.vertex)?.asyncOperators ?? [];
    return `${on}, waiting on its asynchronous calls${names.length === 0 ? '' : ` (${names.join(', ')})`}${hot}`;
  }
  if (dominant === by.timer) return `${on}, waiting for its processing-time timers${hot}`;
  const rate = r.trueRate === null ? '' : ` (true rate ${formatRate(r.trueRate)} records/s per busy subtask)`;
  const what = vertices.find((v) => v.id === r.vertex)?.isSource ? 'producing input' : 'processing';
  let where = '';
  if (r.operators !== undefined) {
    const top = r.operators.reduce((a, b) => (b.sharePct > a.sharePct ? b : a));
    where = `, mostly in ${top.name} (${top.sharePct.toFixed(0)}% of its step time)`;
  }
  return `${on}, ${what}${where}${rate}${hot}`;
}

/** Each operator's share of a chain's step time; undefined for a single operator or without measurements. */
function operatorShares(
  v: VertexInfo,
  ms: readonly number[] | undefined,
): { name: string; sharePct: number }[] | undefined {
  const names = v.operators;
  if (names === undefined || names.length < 2 || ms === undefined) return undefined;
  const total = ms.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return undefined;
  return names.map((name, i) => ({ name, sharePct: (100 * (ms[i] ?? 0)) / total }));
}

function formatRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  return n.toFixed(0);
}

/** The report as `sluice analyze` prints it: a table per vertex and the `bottleneck:` line. */
export function formatBottleneckReport(report: BottleneckReport): string {
  const seconds = ((report.to - report.from) / 1000).toFixed(1);
  const lines = [
    `critical path over ${seconds} s${report.final ? ' (end of run)' : ''}${report.truncated ? ' (trace truncated)' : ''}:`,
  ];
  const width = Math.min(60, Math.max(6, ...report.vertices.map((v) => v.name.length)));
  lines.push(
    `  ${'vertex'.padEnd(width)}  ${['par', 'busy%', 'backpr%', 'in/s', 'true rate/s', 'critical%'].map((h) => h.padStart(12)).join('')}`,
  );
  for (const v of report.vertices) {
    const name = v.name.length > width ? `${v.name.slice(0, width - 1)}…` : v.name;
    const cells = [
      String(v.parallelism),
      v.busyPct.toFixed(1),
      v.backPressuredPct.toFixed(1),
      formatRate(v.recordsPerSecond),
      v.trueRate === null ? '-' : formatRate(v.trueRate),
      v.criticalPct.toFixed(1),
    ];
    lines.push(`  ${name.padEnd(width)}  ${cells.map((c) => c.padStart(12)).join('')}`);
  }
  const o = report.other;
  lines.push(
    `  not attributed: communication ${o.communication.toFixed(1)}%, runtime ${o.overhead.toFixed(1)}%, idle or unknown ${o.unknown.toFixed(1)}%`,
  );
  lines.push(
    report.bottleneck === undefined
      ? 'bottleneck: none — no activity recorded'
      : `bottleneck: ${report.bottleneck.name} — ${report.bottleneck.reason}`,
  );
  return lines.join('\n');
}

/**
 * What a vertex's uneven load means. One subtask doing most of the work is a hot key: more subtasks leave it where it
 * is. A milder imbalance (over 1.5 even shares) is only named: more parallelism still helps, less than it would.
 */
function skewNote(r: VertexReport): string {
  const hot = r.hotSubtask;
  if (hot === undefined) return '';
  const share = `subtask ${hot.subtask} carries ${hot.sharePct.toFixed(0)}%`;
  if (hot.sharePct > 50) return `; hot key: ${share} — more parallelism will not help`;
  return `; uneven keys: ${share} (an even share is ${(100 / r.parallelism).toFixed(0)}%)`;
}
