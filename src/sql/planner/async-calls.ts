import type { FunctionCatalog } from '../functions/function-catalog.js';
import type { Rex, RexCall } from '../plan/rex.js';
import { type AsyncCallNode, inputsOf, type LogicalNode } from './logical-nodes.js';
import { makeCalc } from './node-builders.js';
import { mapRex } from './rex-utils.js';

function isAsync(rex: Rex, catalog: FunctionCatalog): rex is RexCall {
  return rex.kind === 'call' && rex.udf === true && catalog.scalar(rex.name)?.async === true;
}

function asyncCalls(rex: Rex | undefined, catalog: FunctionCatalog, into: RexCall[]): RexCall[] {
  if (rex === undefined) return into;
  mapRex(rex, (r) => {
    if (isAsync(r, catalog)) into.push(r);
    return r;
  });
  return into;
}

/**
 * Calcs that call async user functions become calc → async call → calc: the first computes the arguments (and
 * applies a condition without async calls), the async I/O operator appends each call's result, the last computes
 * the rest. The expression compiler never sees an async call.
 */
export function extractAsyncCalls(node: LogicalNode, catalog: FunctionCatalog): LogicalNode {
  const kids = inputsOf(node).map((k) => extractAsyncCalls(k, catalog));
  const n: LogicalNode =
    node.kind === 'join'
      ? { ...node, left: kids[0]!, right: kids[1]! }
      : node.kind === 'union'
        ? { ...node, inputs: kids }
        : kids.length === 1
          ? ({ ...node, input: kids[0]! } as LogicalNode)
          : node;
  if (n.kind !== 'calc') return n;
  const inProjects = n.projects.flatMap((p) => asyncCalls(p, catalog, []));
  const inCondition = asyncCalls(n.condition, catalog, []);
  const calls = [...inProjects, ...inCondition];
  if (calls.length === 0) return n;
  for (const c of calls) {
    if (c.args.some((a) => asyncCalls(a, catalog, []).length > 0)) {
      throw new Error(`Async function ${c.name} cannot take the result of another async function as an argument`);
    }
  }
  const width = n.input.schema.fields.length;
  const pass: Rex[] = n.input.schema.fields.map((f, i) => ({ kind: 'input', index: i, type: f.type }));
  const args: Rex[] = calls.flatMap((c) => c.args);
  const early = inCondition.length === 0 ? n.condition : undefined;
  const pre = makeCalc(
    n.input,
    [...pass, ...args],
    [...n.input.schema.fields.map((f) => f.name), ...args.map((_, i) => `$arg${i}`)],
    early,
  );
  let at = width;
  const asyncNode: AsyncCallNode = {
    kind: 'asyncCall',
    input: pre,
    calls: calls.map((c) => ({
      function: c.name,
      args: c.args.map(() => at++),
      type: c.type,
      ...(c.span === undefined ? {} : { span: c.span }),
    })),
    schema: {
      fields: [...pre.schema.fields, ...calls.map((c, i) => ({ name: `$async${i}`, type: c.type }))],
    },
  };
  const resultBase = pre.schema.fields.length;
  const replace = (r: Rex): Rex =>
    mapRex(r, (x) => {
      const k = calls.indexOf(x as RexCall);
      return k >= 0 ? { kind: 'input', index: resultBase + k, type: x.type } : x;
    });
  // mapRex rebuilds parents, never the matched call objects themselves, so identity finds them.
  const projects = n.projects.map(replace);
  const condition = early === undefined && n.condition !== undefined ? replace(n.condition) : undefined;
  return makeCalc(
    asyncNode,
    projects,
    n.schema.fields.map((f) => f.name),
    condition,
  );
}
