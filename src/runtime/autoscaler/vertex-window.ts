import type { ExecutionGraph } from '../execution-graph.js';
import type { SubtaskSample } from '../metrics/subtask-sample.js';

/** What one vertex did over a metrics window, as the scaling policies read it. Rates are per second of wall time. */
export interface VertexWindow {
  readonly id: number;
  readonly name: string;
  readonly parallelism: number;
  /** Uids of the vertex's operators: a decision sets their parallelism. */
  readonly uids: readonly string[];
  readonly source: boolean;
  /** Vertices feeding this one. */
  readonly inputs: readonly number[];
  /**
   * True when every input edge carries its sender's main output to one subtask per record (not a side output, not
   * broadcast): then this vertex's input is exactly what its inputs emit, whatever is still queued between them.
   */
  readonly inputsCarryAll: boolean;
  /** The most subtasks the vertex can have (its first operator's limit: a source's splits, a sink's one parallelism). */
  readonly maxParallelism: number;
  /** Vertices joined to this one by forward edges: they must keep equal parallelism. */
  readonly forwardPeers: readonly number[];
  /** Records in per second over all subtasks (sources: records read). */
  readonly inRate: number;
  /** Records out per second over all subtasks (the chain's main output). */
  readonly outRate: number;
  /** Per subtask: share of the window busy (0–1) and back-pressured. */
  readonly busy: readonly number[];
  readonly backPressured: readonly number[];
  /** True processing rate: records in per second of busy time, per subtask (undefined: too little busy time). */
  readonly trueRate: number | undefined;
  /** Sources: records waiting to be read at the end of the window, and how fast that grew (records/s). */
  readonly backlog?: number;
  readonly backlogGrowth?: number;
  /**
   * Records sent per key group into the vertex since the attempt started (vertices fed by a keyed exchange): how its
   * load spreads over keys. Counted over the attempt, not the window, so a window in which the senders were held
   * back (and sent nothing) still knows the spread.
   */
  readonly keyGroupLoad?: Float64Array;
}

/** Busy time below which a vertex's true rate is not trusted: too few measured steps (ms over the window). */
const MIN_BUSY_MS = 50;

/**
 * The figures of every vertex between each subtask's latest sample at or before `from` (its earliest if none is that
 * old) and its latest one. Undefined when some subtask's two samples are less than half a second apart.
 */
export function measureWindow(
  graph: ExecutionGraph,
  history: ReadonlyMap<string, readonly SubtaskSample[]>,
  from: number,
): VertexWindow[] | undefined {
  const ends = new Map<string, [SubtaskSample, SubtaskSample]>();
  for (const v of graph.vertices) {
    for (let i = 0; i < v.parallelism; i++) {
      const list = history.get(`${v.id}/${i}`) ?? [];
      const first = list.findLast((s) => s.time <= from) ?? list[0];
      const last = list[list.length - 1];
      if (first === undefined || last === undefined || last.time - first.time < 500) return undefined;
      ends.set(`${v.id}/${i}`, [first, last]);
    }
  }
  const loads = keyGroupLoads(graph, ends);
  return graph.vertices.map((v): VertexWindow => {
    let recordsIn = 0;
    let recordsOut = 0;
    let busyMs = 0;
    let seconds = 0;
    let backlog: number | undefined;
    let backlogBefore: number | undefined;
    const busy: number[] = [];
    const backPressured: number[] = [];
    const source = v.nodes[0]!.kind === 'source';
    for (let i = 0; i < v.parallelism; i++) {
      const [a, b] = ends.get(`${v.id}/${i}`)!;
      const ms = Math.max(1, b.time - a.time);
      seconds = Math.max(seconds, ms / 1000);
      recordsIn += source ? (b.recordsRead ?? 0) - (a.recordsRead ?? 0) : b.recordsIn - a.recordsIn;
      recordsOut += b.recordsOut - a.recordsOut;
      busyMs += b.busyMs - a.busyMs;
      busy.push(Math.min(1, (b.busyMs - a.busyMs) / ms));
      backPressured.push(Math.min(1, (b.backPressuredMs - a.backPressuredMs) / ms));
      if (b.backlog !== undefined) backlog = (backlog ?? 0) + b.backlog;
      if (a.backlog !== undefined) backlogBefore = (backlogBefore ?? 0) + a.backlog;
    }
    const forward = (e: { partitioning: { kind: string } }) => e.partitioning.kind === 'forward';
    return {
      id: v.id,
      name: v.name,
      parallelism: v.parallelism,
      uids: v.nodes.map((n) => n.uid),
      source,
      inputs: v.inputs.flat().map((r) => r.edge.from),
      inputsCarryAll: v.inputs
        .flat()
        .every((r) => r.edge.sideOutput === undefined && r.edge.partitioning.kind !== 'broadcast'),
      maxParallelism: parallelismLimit(v),
      forwardPeers: [
        ...v.inputs
          .flat()
          .filter((r) => forward(r.edge))
          .map((r) => r.edge.from),
        ...v.outputs.filter(forward).map((e) => e.to),
      ],
      inRate: recordsIn / seconds,
      outRate: recordsOut / seconds,
      busy,
      backPressured,
      trueRate: busyMs < MIN_BUSY_MS ? undefined : recordsIn / (busyMs / 1000),
      ...(backlog === undefined ? {} : { backlog, backlogGrowth: (backlog - (backlogBefore ?? backlog)) / seconds }),
      ...(loads.has(v.id) ? { keyGroupLoad: loads.get(v.id)! } : {}),
    };
  });
}

/** Records per key group sent into each vertex with a keyed input, summed over its senders, since the attempt began. */
function keyGroupLoads(
  graph: ExecutionGraph,
  ends: ReadonlyMap<string, [SubtaskSample, SubtaskSample]>,
): Map<number, Float64Array> {
  const loads = new Map<number, Float64Array>();
  for (const v of graph.vertices) {
    for (let i = 0; i < v.parallelism; i++) {
      const latest = ends.get(`${v.id}/${i}`)![1];
      for (const sent of latest.keyGroupsOut ?? []) {
        const target = graph.edges[sent.edge]!.to;
        const load = loads.get(target) ?? new Float64Array(sent.counts.length);
        for (let g = 0; g < sent.counts.length; g++) load[g]! += sent.counts[g]!;
        loads.set(target, load);
      }
    }
  }
  return loads;
}

/**
 * The most subtasks a vertex can run with: its first operator's limit (a source's split limit, the one parallelism a
 * sink requires). A limited operator further down the chain does not bound it: at another parallelism it leaves the
 * chain and becomes a vertex of its own.
 */
function parallelismLimit(v: ExecutionGraph['vertices'][number]): number {
  const head = v.nodes[0]!;
  if (head.kind === 'source') return head.source.maxParallelism ?? Number.POSITIVE_INFINITY;
  if (head.kind === 'sink') return head.sink.requiredParallelism ?? Number.POSITIVE_INFINITY;
  return Number.POSITIVE_INFINITY;
}
