import { PlanError } from '../core/errors.js';
import type { OutputTag } from '../core/output-tag.js';
import type { JobPlan } from '../plan/job-plan.js';
import type { Partitioning, PlanNode } from '../plan/nodes.js';
import { withLocalAggregation } from './local-aggregation.js';

/**
 * The plan prepared for running: operators chained into vertices, vertices connected by edges.
 *
 * A vertex is a chain of plan nodes that run in one task without queues or serialisation: node B joins A's chain
 * when B's only input is A's main output with forward partitioning and equal parallelism, and A feeds nothing else.
 * Union nodes disappear: their consumers read the union's inputs directly. Keyed aggregates that can merge get a
 * local aggregation chained before their exchange (`local-aggregation.ts`).
 */
export interface Vertex {
  readonly id: number;
  /** Plan nodes in chain order; the first may be a source. */
  readonly nodes: readonly PlanNode[];
  readonly parallelism: number;
  readonly inputs: EdgeRef[][];
  readonly outputs: Edge[];
  readonly name: string;
}

export interface Edge {
  readonly id: number;
  readonly from: number;
  readonly to: number;
  /** Which input of the target (0, or 1 for the second input of a two-input operator). */
  readonly targetInput: number;
  readonly partitioning: Partitioning;
  /** Main output when undefined. */
  readonly sideOutput: OutputTag<unknown> | undefined;
  readonly sourceParallelism: number;
  readonly targetParallelism: number;
  /** The first operator of the target vertex, as errors name it: `'name' (uid …)`. */
  readonly target: string;
}

export interface EdgeRef {
  readonly edge: Edge;
  /** Index of this edge's first channel among the channels of the target input. */
  readonly channelBase: number;
}

export interface ExecutionGraph {
  readonly vertices: Vertex[];
  readonly edges: Edge[];
}

interface LogicalEdge {
  from: PlanNode;
  to: PlanNode;
  targetInput: number;
  partitioning: Partitioning | undefined;
  sideOutput: OutputTag<unknown> | undefined;
}

function parallelismOf(node: PlanNode, config: JobPlan['config']): number {
  const chosen = config.parallelismByUid?.[node.uid] ?? node.parallelism ?? config.parallelism;
  if (node.kind === 'source') {
    const max = node.source.maxParallelism ?? Number.POSITIVE_INFINITY;
    return Math.min(chosen, max);
  }
  if (node.kind === 'sink' && node.sink.requiredParallelism !== undefined) {
    if (node.parallelism !== undefined && node.parallelism !== node.sink.requiredParallelism) {
      throw new PlanError(`sink '${node.name}' runs only with parallelism ${node.sink.requiredParallelism}`);
    }
    return node.sink.requiredParallelism;
  }
  return chosen;
}

export function buildExecutionGraph(plan: JobPlan): ExecutionGraph {
  const nodes = withLocalAggregation(plan.nodes, plan.config).filter((n) => n.kind !== 'union');
  const par = new Map<number, number>();
  for (const n of nodes) {
    // A local aggregation runs chained to its input, at its parallelism.
    const p = n.kind === 'localAggregate' ? par.get(n.inputs[0]!.node.id) : undefined;
    par.set(n.id, p ?? parallelismOf(n, plan.config));
  }

  // Resolve unions into direct logical edges.
  const logical: LogicalEdge[] = [];
  const expand = (to: PlanNode, targetInput: number, input: PlanNode['inputs'][number]): void => {
    if (input.node.kind === 'union') {
      for (const inner of input.node.inputs) {
        expand(to, targetInput, { ...inner, partitioning: input.partitioning ?? inner.partitioning });
      }
      return;
    }
    logical.push({
      from: input.node,
      to,
      targetInput,
      partitioning: input.partitioning,
      sideOutput: input.sideOutput,
    });
  };
  for (const n of nodes) {
    // Two-input operators number their inputs; others have one logical input however many streams feed it.
    const twoInput = n.kind === 'coProcess' || n.kind === 'broadcastProcess';
    n.inputs.forEach((input, i) => {
      expand(n, twoInput ? i : 0, input);
    });
  }

  const consumers = new Map<number, LogicalEdge[]>();
  for (const e of logical) {
    const list = consumers.get(e.from.id) ?? [];
    list.push(e);
    consumers.set(e.from.id, list);
  }
  const incoming = new Map<number, LogicalEdge[]>();
  for (const e of logical) {
    const list = incoming.get(e.to.id) ?? [];
    list.push(e);
    incoming.set(e.to.id, list);
  }

  const chainable = (e: LogicalEdge): boolean =>
    (incoming.get(e.to.id)?.length ?? 0) === 1 &&
    (consumers.get(e.from.id)?.length ?? 0) === 1 &&
    e.sideOutput === undefined &&
    (e.partitioning === undefined || e.partitioning.kind === 'forward') &&
    par.get(e.from.id) === par.get(e.to.id) &&
    e.to.kind !== 'coProcess' &&
    e.to.kind !== 'broadcastProcess';

  // Build chains: start a vertex at every node that is not chained onto its predecessor.
  const vertexOf = new Map<number, number>();
  const vertices: { id: number; nodes: PlanNode[] }[] = [];
  for (const n of nodes) {
    const inc = incoming.get(n.id) ?? [];
    const only = inc[0];
    if (inc.length === 1 && only !== undefined && chainable(only)) {
      const v = vertexOf.get(only.from.id)!;
      vertices[v]!.nodes.push(n);
      vertexOf.set(n.id, v);
    } else {
      vertexOf.set(n.id, vertices.length);
      vertices.push({ id: vertices.length, nodes: [n] });
    }
  }

  const edges: Edge[] = [];
  const inputs: EdgeRef[][][] = vertices.map(() => []);
  const outputs: Edge[][] = vertices.map(() => []);
  for (const e of logical) {
    const from = vertexOf.get(e.from.id)!;
    const to = vertexOf.get(e.to.id)!;
    if (from === to) continue; // chained
    const sp = par.get(e.from.id)!;
    const tp = par.get(e.to.id)!;
    let partitioning = e.partitioning ?? (sp === tp ? { kind: 'forward' as const } : { kind: 'rebalance' as const });
    if (partitioning.kind === 'forward' && sp !== tp) {
      throw new PlanError(
        `forward partitioning between '${e.from.name}' (parallelism ${sp}) and '${e.to.name}' (parallelism ${tp}) needs equal parallelism`,
      );
    }
    if (tp === 1 && partitioning.kind === 'rebalance') partitioning = { kind: 'global' };
    const edge: Edge = {
      id: edges.length,
      from,
      to,
      targetInput: e.targetInput,
      partitioning,
      sideOutput: e.sideOutput,
      sourceParallelism: sp,
      targetParallelism: tp,
      target: `'${e.to.name}' (uid ${e.to.uid})`,
    };
    edges.push(edge);
    outputs[from]!.push(edge);
    const gate = (inputs[to]![e.targetInput] ??= []);
    const base = gate.reduce((n, r) => n + channelsPerTarget(r.edge), 0);
    gate.push({ edge, channelBase: base });
  }

  return {
    edges,
    vertices: vertices.map((v) => ({
      id: v.id,
      nodes: v.nodes,
      parallelism: par.get(v.nodes[0]!.id)!,
      inputs: inputs[v.id]!,
      outputs: outputs[v.id]!,
      name: v.nodes.map((n) => n.name).join(' -> '),
    })),
  };
}

/** How many channels an edge contributes to each target subtask's input. */
export function channelsPerTarget(edge: Edge): number {
  return edge.partitioning.kind === 'forward' ? 1 : edge.sourceParallelism;
}

/** The channel index (within the target input) of the channel from `fromSubtask` over `ref`. */
export function channelIndex(ref: EdgeRef, fromSubtask: number): number {
  return ref.edge.partitioning.kind === 'forward' ? ref.channelBase : ref.channelBase + fromSubtask;
}
