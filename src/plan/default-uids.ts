import { createHash } from 'node:crypto';
import { PlanError } from '../core/errors.js';
import type { PlanNode } from './nodes.js';

/** The uid a node has until the plan is built: "derive one" (see `assignDefaultUids`). */
export const DEFAULT_UID = '';

/**
 * Gives every node whose uid was not set a default derived from where it sits in the graph, not from a global
 * counter: a hash of its kind, the uids of its inputs (with partitioning and side output) and its rank among earlier
 * nodes with the same kind and inputs; a source's default is its rank among sources. So adding an operator elsewhere
 * in the plan leaves the others' defaults alone. What does shift them: adding, removing or reordering an operator
 * upstream on the same input chain, or a source created before them (set `.uid(...)` on stateful operators to keep
 * their state across such changes). `nodes` must be in creation order (inputs first); returns new node objects.
 */
export function assignDefaultUids(nodes: readonly PlanNode[]): PlanNode[] {
  const out: PlanNode[] = [];
  const seen = new Map<string, number>();
  const used = new Map<string, number>();
  for (const n of nodes) {
    const inputs = n.inputs.map((i) => ({ ...i, node: out[i.node.id - 1] ?? i.node }));
    let uid = n.uid;
    if (uid === DEFAULT_UID) {
      const signature = JSON.stringify([
        n.kind,
        inputs.map((i) => [i.node.uid, i.partitioning?.kind ?? 'forward', i.sideOutput?.id ?? null]),
      ]);
      const rank = seen.get(signature) ?? 0;
      seen.set(signature, rank + 1);
      uid = `${n.kind}-${createHash('sha256').update(`${signature}#${rank}`).digest('hex').slice(0, 12)}`;
    }
    const other = used.get(uid);
    if (other !== undefined) throw new PlanError(`two operators share the uid '${uid}' (nodes ${other} and ${n.id})`);
    used.set(uid, n.id);
    out.push({ ...n, uid, inputs } as PlanNode);
  }
  return out;
}
