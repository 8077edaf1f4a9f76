import type { Rex } from '../plan/rex.js';
import { type CalcNode, inputsOf, type JoinNode, type LogicalNode } from './logical-nodes.js';
import { makeCalc, makeFilter } from './node-builders.js';
import { and, conjuncts, digest, inputRefs, isIdentity, remap, substitute } from './rex-utils.js';
import { classifyJoin, side } from './rules-join.js';
import { rankRule, windowAggregateRule } from './rules-window.js';

/** Rebuilds a node over new inputs. */
function withInputs(node: LogicalNode, inputs: readonly LogicalNode[]): LogicalNode {
  const old = inputsOf(node);
  if (old.length === inputs.length && old.every((o, i) => o === inputs[i])) return node;
  switch (node.kind) {
    case 'join':
      return { ...node, left: inputs[0]!, right: inputs[1]! };
    case 'union':
      return { ...node, inputs };
    case 'scan':
    case 'values':
    case 'datastream':
      return node;
    default:
      return { ...node, input: inputs[0]! } as LogicalNode;
  }
}

/**
 * The rule pass, bottom-up: merge adjacent calcs, push filters into and through joins, recognise window
 * aggregates, Top-N / deduplication / window Top-N, classify joins (regular / interval / window / temporal), and
 * push projections into scans.
 */
export function optimize(node: LogicalNode): LogicalNode {
  const n = withInputs(node, inputsOf(node).map(optimize));
  switch (n.kind) {
    case 'calc':
      return optimizeCalc(n);
    case 'aggregate':
      return windowAggregateRule(n) ?? n;
    case 'join':
      return optimizeJoin(n);
    default:
      return n;
  }
}

function optimizeCalc(calc: CalcNode): LogicalNode {
  const input = calc.input;
  if (input.kind === 'calc') {
    const projects = calc.projects.map((p) => substitute(p, input.projects));
    const cond = and([
      ...conjuncts(input.condition),
      ...conjuncts(calc.condition === undefined ? undefined : substitute(calc.condition, input.projects)),
    ]);
    return optimizeCalc(
      makeCalc(
        input.input,
        projects,
        calc.schema.fields.map((f) => f.name),
        cond,
      ),
    );
  }
  if (
    calc.condition === undefined &&
    isIdentity(calc.projects, input.schema.fields.length) &&
    calc.schema.fields.every((f, i) => f.name === input.schema.fields[i]?.name)
  ) {
    return input;
  }
  if (input.kind === 'over') return rankRule(calc) ?? calc;
  if (
    (input.kind === 'rank' || input.kind === 'deduplicate' || input.kind === 'windowRank') &&
    input.outputRankNumber
  ) {
    // The rank number is computed only when something above still reads it.
    const w = input.schema.fields.length - 1;
    const used = new Set<number>();
    for (const p of calc.projects) inputRefs(p, used);
    if (calc.condition !== undefined) inputRefs(calc.condition, used);
    if (!used.has(w)) {
      const trimmed = {
        ...input,
        outputRankNumber: false,
        schema: { fields: input.schema.fields.slice(0, w) },
      } as LogicalNode;
      return optimizeCalc(
        makeCalc(
          trimmed,
          calc.projects,
          calc.schema.fields.map((f) => f.name),
          calc.condition,
        ),
      );
    }
  }
  if (input.kind === 'join' && calc.condition !== undefined && input.strategy.kind !== 'temporal') {
    const pushed = pushIntoJoin(input, conjuncts(calc.condition));
    if (pushed !== undefined)
      return optimizeCalc(
        makeCalc(
          pushed.join,
          calc.projects,
          calc.schema.fields.map((f) => f.name),
          and(pushed.rest),
        ),
      );
  }
  if (input.kind === 'scan') return pushProjection(calc, input);
  return calc;
}

/** Filters over a join: one-sided conjuncts go below it (where the join type allows), the rest into an inner join's condition. */
function pushIntoJoin(join: JoinNode, conds: readonly Rex[]): { join: LogicalNode; rest: Rex[] } | undefined {
  const lw = join.left.schema.fields.length;
  const toLeft: Rex[] = [];
  const toRight: Rex[] = [];
  const toJoin: Rex[] = [];
  const rest: Rex[] = [];
  const inner = join.joinType === 'INNER';
  const leftOk = inner || join.joinType === 'LEFT' || join.joinType === 'SEMI' || join.joinType === 'ANTI';
  const rightOk = inner || join.joinType === 'RIGHT';
  for (const c of conds) {
    const s = side(c, lw);
    if (s === 'left' && leftOk) toLeft.push(c);
    else if (s === 'right' && rightOk) toRight.push(remap(c, (i) => i - lw));
    else if (inner && s === 'both') toJoin.push(c);
    else rest.push(c);
  }
  // An inner join's own condition: one-sided parts move below as well.
  const own: Rex[] = [];
  for (const c of conjuncts(join.condition)) {
    const s = side(c, lw);
    if (inner && s === 'left') toLeft.push(c);
    else if (inner && s === 'right') toRight.push(remap(c, (i) => i - lw));
    else own.push(c);
  }
  if (toLeft.length + toRight.length + toJoin.length === 0) return undefined;
  const left = toLeft.length === 0 ? join.left : optimize(makeFilter(join.left, and(toLeft)!));
  const right = toRight.length === 0 ? join.right : optimize(makeFilter(join.right, and(toRight)!));
  const seen = new Set(own.map(digest));
  const condition = and([...own, ...toJoin.filter((c) => !seen.has(digest(c)))]);
  return { join: optimizeJoin({ ...join, left, right, condition, strategy: { kind: 'regular' } }), rest };
}

function optimizeJoin(join: JoinNode): LogicalNode {
  if (join.strategy.kind === 'temporal') return classifyJoin(join);
  const lw = join.left.schema.fields.length;
  if (join.joinType === 'INNER') {
    const pushed = conjuncts(join.condition).filter((c) => side(c, lw) === 'left' || side(c, lw) === 'right');
    if (pushed.length > 0) {
      const p = pushIntoJoin(join, []);
      if (p !== undefined && p.join.kind === 'join') return p.join;
    }
  }
  return classifyJoin({ ...join, strategy: { kind: 'regular' } });
}

/** A calc directly over a scan: the scan reads only the columns the calc uses. */
function pushProjection(calc: CalcNode, scan: LogicalNode & { kind: 'scan' }): LogicalNode {
  const used = new Set<number>();
  for (const p of calc.projects) inputRefs(p, used);
  if (calc.condition !== undefined) inputRefs(calc.condition, used);
  const width = scan.schema.fields.length;
  if (used.size >= width) return calc;
  const kept = [...used].sort((a, b) => a - b);
  const current = scan.projection ?? scan.schema.fields.map((_, i) => i);
  const projection = kept.map((i) => current[i]!);
  const newScan: LogicalNode = { ...scan, projection, schema: { fields: kept.map((i) => scan.schema.fields[i]!) } };
  const at = new Map(kept.map((old, i) => [old, i]));
  const m = (i: number) => at.get(i)!;
  const projects = calc.projects.map((p) => remap(p, m));
  const names = calc.schema.fields.map((f) => f.name);
  if (
    calc.condition === undefined &&
    isIdentity(projects, kept.length) &&
    names.every((n, i) => n === newScan.schema.fields[i]!.name)
  ) {
    return newScan;
  }
  return makeCalc(newScan, projects, names, calc.condition === undefined ? undefined : remap(calc.condition, m));
}

/** Merges each calc into the calc below it (after scans were unified), leaving every other node as it is. */
export function mergeCalcs(node: LogicalNode): LogicalNode {
  const n = withInputs(node, inputsOf(node).map(mergeCalcs));
  if (n.kind !== 'calc' || n.input.kind !== 'calc') return n;
  const below = n.input;
  const projects = n.projects.map((p) => substitute(p, below.projects));
  const cond = and([
    ...conjuncts(below.condition),
    ...conjuncts(n.condition === undefined ? undefined : substitute(n.condition, below.projects)),
  ]);
  return makeCalc(
    below.input,
    projects,
    n.schema.fields.map((f) => f.name),
    cond,
  );
}
