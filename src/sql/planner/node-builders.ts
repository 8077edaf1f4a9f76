import type { Rex } from '../plan/rex.js';
import { type CalcNode, calcSchema, type LogicalNode } from './logical-nodes.js';

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
