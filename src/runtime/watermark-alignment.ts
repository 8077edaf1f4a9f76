import type { WatermarkAlignmentSpec } from '../core/watermark-strategy.js';
import type { PlanNode } from '../plan/nodes.js';
import type { ExecutionGraph, Vertex } from './execution-graph.js';

/**
 * Watermark alignment across the threads of one run (`WatermarkStrategy.withWatermarkAlignment`).
 *
 * Every subtask of every vertex has a slot in one shared buffer (slot = the vertex's offset + subtask index, the
 * same layout on every thread, computed from the execution graph). An aligned subtask stores its watermark in its
 * slot whenever it emits one and reads its group's slots before it reads more input. Slots hold integers through
 * `Atomics`, so a reader never sees a torn value; they start at {@link UNREPORTED}.
 */
const UNREPORTED = -(2n ** 62n);
/** Idle or ended: the subtask no longer holds its group back. */
const RELEASED = 2n ** 62n;

/** An aligned vertex: its group and drift, its first slot, and the slots of every subtask of its group. */
export interface AlignedVertex {
  readonly spec: WatermarkAlignmentSpec;
  readonly offset: number;
  readonly members: readonly number[];
}

/** Which vertices are aligned, in which group, and the slots of each group. */
export interface AlignmentLayout {
  /** Slots in the shared buffer (0 when nothing is aligned). */
  readonly slots: number;
  readonly byVertex: ReadonlyMap<number, AlignedVertex>;
}

/** The strategy a vertex's watermarks come from, if it asks for alignment (a source's own or a chained operator's). */
function alignmentOf(v: Vertex): WatermarkAlignmentSpec | undefined {
  for (const n of v.nodes as PlanNode[]) {
    if (n.kind === 'timestamps' && n.strategy.alignment !== undefined) return n.strategy.alignment;
    if (n.kind === 'source' && n.watermarks?.alignment !== undefined) return n.watermarks.alignment;
  }
  return undefined;
}

export function alignmentLayout(graph: ExecutionGraph): AlignmentLayout {
  let offset = 0;
  const aligned: { v: Vertex; spec: WatermarkAlignmentSpec; offset: number }[] = [];
  for (const v of graph.vertices) {
    const spec = alignmentOf(v);
    if (spec !== undefined) aligned.push({ v, spec, offset });
    offset += v.parallelism;
  }
  const byVertex = new Map<number, AlignedVertex>();
  for (const a of aligned) {
    const members: number[] = [];
    for (const b of aligned) {
      if (b.spec.group !== a.spec.group) continue;
      for (let i = 0; i < b.v.parallelism; i++) members.push(b.offset + i);
    }
    byVertex.set(a.v.id, { spec: a.spec, offset: a.offset, members });
  }
  return { slots: aligned.length === 0 ? 0 : offset, byVertex };
}

/** A new shared buffer for a layout's slots, every slot unreported (one per run attempt). */
export function alignmentSlots(layout: AlignmentLayout): SharedArrayBuffer | undefined {
  if (layout.slots === 0) return undefined;
  const slots = new BigInt64Array(new SharedArrayBuffer(8 * layout.slots));
  slots.fill(UNREPORTED);
  return slots.buffer as SharedArrayBuffer;
}

/** One aligned subtask's view of its group. */
export class WatermarkAlignment {
  private readonly own: number;
  private readonly members: readonly number[];
  private readonly maxDrift: bigint;

  constructor(
    private readonly slots: BigInt64Array,
    layout: AlignedVertex,
    subtask: number,
  ) {
    this.own = layout.offset + subtask;
    this.members = layout.members;
    this.maxDrift = BigInt(Math.ceil(layout.spec.maxDriftMs));
  }

  /** This subtask's watermark (+Infinity: its input ended). */
  publish(watermark: number): void {
    const v = watermark === Number.POSITIVE_INFINITY ? RELEASED : BigInt(Math.floor(Math.max(watermark, -(2 ** 53))));
    Atomics.store(this.slots, this.own, v);
  }

  /** The subtask turned idle (it holds nobody back) or active again with `watermark`. */
  idle(idle: boolean, watermark: number): void {
    if (idle) Atomics.store(this.slots, this.own, RELEASED);
    else if (watermark === Number.NEGATIVE_INFINITY) Atomics.store(this.slots, this.own, UNREPORTED);
    else this.publish(watermark);
  }

  /** True when this subtask's watermark is more than the maximum drift ahead of its group's slowest member. */
  ahead(): boolean {
    const own = Atomics.load(this.slots, this.own);
    if (own === UNREPORTED || own === RELEASED) return false;
    const limit = own - this.maxDrift;
    for (const m of this.members) {
      const w = Atomics.load(this.slots, m);
      if (w !== UNREPORTED && w < limit) return true;
    }
    return false;
  }
}
