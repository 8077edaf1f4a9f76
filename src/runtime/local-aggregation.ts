import type { Key } from '../core/key.js';
import type { JobConfig } from '../plan/job-plan.js';
import type { PlanNode, WindowSpec } from '../plan/nodes.js';
import type { WindowSlicing } from '../windowing/assigners.js';
import { EventTimeTrigger } from '../windowing/triggers.js';
import { SliceGeometry } from './operators/window-slices.js';

/**
 * Local-global aggregation (Flink SQL's two-phase aggregation) for the DataStream API. A hot key sends every record
 * over the exchange to the one subtask that owns it; when the aggregate function can `merge`, a stateless
 * `localAggregate` node chained to the upstream folds each batch into one partial accumulator per key (and slice),
 * and the keyed operator merges partials instead of adding records.
 *
 * Why it is safe: the local operator keeps nothing between batches — it emits its partials at the end of every
 * batch it processes, into the chain output that carries the batch's records otherwise, and chain outputs flush
 * records before any watermark, barrier or end of input that follows them. So a partial sits exactly where its
 * records would have been in the channel: checkpoints neither lose nor double it, and the keyed operator sees it
 * under the same watermark as its records. Lateness is decided per window (slice) downstream, as Flink's
 * `isWindowLate`: all records of a slice are late or none is.
 */

/** The time geometry a window aggregate is pre-aggregated by, or undefined when it must see the records. */
export function preAggregationSlicing(spec: WindowSpec): WindowSlicing | undefined {
  const slicing = spec.assigner.slicing ?? spec.assigner.tumbling;
  const applies =
    slicing !== undefined &&
    SliceGeometry.applies(slicing) &&
    spec.assigner.isEventTime &&
    spec.assigner.mergeWindows === undefined &&
    spec.trigger instanceof EventTimeTrigger &&
    spec.evictor === undefined &&
    spec.allowedLatenessMs === 0 &&
    // Late records go to the side output one by one: they must stay records.
    spec.lateDataTag === undefined &&
    spec.aggregate?.merge !== undefined;
  return applies ? slicing : undefined;
}

/** Key selector of partial records (`[key, acc, …]`): the hash exchange routes them by the original key. */
const partialKey = (p: readonly [Key, ...unknown[]]): Key => p[0];

/**
 * Inserts a `localAggregate` node before every keyed aggregate that can take partials; the plan's own nodes are not
 * changed (job identity and uids are the plan's). Applies only where the local node chains to the upstream: a
 * single hash input from a node with no other consumer. Node ids of the new nodes follow the plan's highest id.
 */
export function withLocalAggregation(nodes: readonly PlanNode[], config: JobConfig): readonly PlanNode[] {
  if (config.localAggregation === false) return nodes;
  const consumers = new Map<number, number>();
  for (const n of nodes) for (const i of n.inputs) consumers.set(i.node.id, (consumers.get(i.node.id) ?? 0) + 1);
  let nextId = nodes.reduce((m, n) => Math.max(m, n.id), 0) + 1;
  const rewritten = new Map<number, PlanNode>();
  const out: PlanNode[] = [];
  for (const original of nodes) {
    // Inputs refer to nodes by object: point them at rewritten nodes.
    const n = relink(original, rewritten);
    if (n !== original) rewritten.set(original.id, n);
    const input = n.inputs.length === 1 ? n.inputs[0]! : undefined;
    const slicing = n.kind === 'window' ? preAggregationSlicing(n) : undefined;
    const eligible =
      (n.kind === 'aggregate' && n.emit === 'final' && n.aggregate.merge !== undefined) ||
      (n.kind === 'window' && n.keySelector !== undefined && slicing !== undefined);
    if (
      !eligible ||
      input === undefined ||
      input.partitioning?.kind !== 'hash' ||
      input.sideOutput !== undefined ||
      input.node.kind === 'union' ||
      input.node.kind === 'sink' ||
      consumers.get(original.inputs[0]!.node.id) !== 1
    ) {
      out.push(n);
      continue;
    }
    const local: PlanNode = {
      id: nextId++,
      uid: `${n.uid}-local`,
      name: `${n.name} (local)`,
      // The graph gives it its input's parallelism (a source's may be capped), so it chains.
      parallelism: input.node.parallelism,
      inputs: [{ node: input.node, partitioning: undefined }],
      kind: 'localAggregate',
      aggregate: (n.kind === 'window' ? n.aggregate : n.kind === 'aggregate' ? n.aggregate : undefined)!,
      keySelector: input.partitioning.keySelector,
      slicing,
    };
    const global = {
      ...n,
      inputs: [{ node: local, partitioning: { kind: 'hash' as const, keySelector: partialKey as never } }],
      partials: true,
    } as PlanNode;
    out.push(local, global);
    rewritten.set(n.id, global);
  }
  return out;
}

function relink(n: PlanNode, rewritten: ReadonlyMap<number, PlanNode>): PlanNode {
  if (rewritten.size === 0 || !n.inputs.some((i) => rewritten.has(i.node.id))) return n;
  return { ...n, inputs: n.inputs.map((i) => ({ ...i, node: rewritten.get(i.node.id) ?? i.node })) } as PlanNode;
}
