import type { Rex } from '../plan/rex.js';
import type { Schema } from '../types/sql-type.js';
import {
  type CalcNode,
  calcSchema,
  type JoinNode,
  type JoinStrategy,
  type LogicalJoinType,
  type LogicalNode,
} from './logical-nodes.js';

/** A Calc node: `condition` filters the input, `projects` (named by `names`) are computed. */
export function makeCalc(
  input: LogicalNode,
  projects: readonly Rex[],
  names: readonly string[],
  condition?: Rex,
): CalcNode {
  return condition === undefined
    ? { kind: 'calc', input, projects, schema: calcSchema(projects, names) }
    : { kind: 'calc', input, projects, condition, schema: calcSchema(projects, names) };
}

/** A filter over a node: a Calc passing every column through. */
export function makeFilter(input: LogicalNode, condition: Rex): CalcNode {
  const projects: Rex[] = input.schema.fields.map((f, i) => ({ kind: 'input', index: i, type: f.type }));
  return makeCalc(
    input,
    projects,
    input.schema.fields.map((f) => f.name),
    condition,
  );
}

/**
 * A join as the binder makes it: the whole `condition` unsplit and no equi-keys yet (the join rule finds them and
 * picks the strategy of a regular join); `strategy` is given only when the syntax decides it (FOR SYSTEM_TIME AS OF).
 */
export function makeJoin(
  left: LogicalNode,
  right: LogicalNode,
  joinType: LogicalJoinType,
  condition: Rex | undefined,
  schema: Schema,
  strategy: JoinStrategy = { kind: 'regular' },
): JoinNode {
  const keys = { leftKeys: [], rightKeys: [], strategy, schema };
  return condition === undefined
    ? { kind: 'join', left, right, joinType, ...keys }
    : { kind: 'join', left, right, joinType, condition, ...keys };
}
