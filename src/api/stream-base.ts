import type { OutputTag } from '../core/output-tag.js';
import { DEFAULT_UID } from '../plan/default-uids.js';
import type { Partitioning, PlanInput, PlanNode } from '../plan/nodes.js';
import type { StreamExecutionEnvironment } from './environment.js';

/**
 * What every stream handle holds: the environment, the plan node that produces it, and how the next operator reads
 * it (partitioning; or a side output of the node). Handles are cheap views; operators are added to the environment's
 * plan as the API is called.
 */
export interface StreamRef {
  readonly env: StreamExecutionEnvironment;
  readonly nodeId: number;
  readonly partitioning: Partitioning | undefined;
  readonly sideOutput: OutputTag<unknown> | undefined;
}

export function inputOf(ref: StreamRef): PlanInput {
  return { node: ref.env.planBuilder.get(ref.nodeId), partitioning: ref.partitioning, sideOutput: ref.sideOutput };
}

/**
 * Fields every plan node gets. The uid is left to the plan builder, which derives a default from the node's kind and
 * inputs when the plan is built, unless `.uid(...)` sets one.
 */
export function nodeBase(env: StreamExecutionEnvironment, kind: PlanNode['kind'], name: string | undefined) {
  const id = env.planBuilder.nextId();
  return { id, uid: DEFAULT_UID, name: name ?? `${kind}`, parallelism: undefined as number | undefined };
}
