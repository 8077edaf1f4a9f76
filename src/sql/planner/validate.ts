import type { FunctionCatalog } from '../functions/function-catalog.js';
import { modeOf, updateProducer } from './changelog-inference.js';
import { describe } from './explain.js';
import { inputsOf, type LogicalNode } from './logical-nodes.js';

/**
 * Changelog checks before anything is added to the job (Flink's errors): a non-retractable aggregate over an
 * updating input, and window operators, OVER aggregates, interval / window joins and keep-first deduplication over
 * an updating input. Returns the first problem as a message, or undefined.
 */
export function validatePlan(node: LogicalNode, functions: FunctionCatalog): string | undefined {
  for (const input of inputsOf(node)) {
    const inner = validatePlan(input, functions);
    if (inner !== undefined) return inner;
  }
  const inputs = inputsOf(node);
  const updatingInput = inputs.find((i) => modeOf(i) !== 'insert-only');
  if (updatingInput === undefined) return undefined;
  // The node whose results update, not a projection in between that only passes them on.
  const producer = describe(updateProducer(updatingInput));
  const name = describe(node).split('(')[0];
  switch (node.kind) {
    case 'aggregate':
      for (const c of node.calls) {
        const fn = functions.aggregate(c.function);
        if (fn !== undefined && !fn.retractable) {
          return `Aggregate function '${c.function}' cannot consume update changes (it has no retract), which are produced by node ${producer}`;
        }
      }
      return undefined;
    case 'windowAggregate':
    case 'windowTvf':
    case 'windowRank':
    case 'over':
      return `${name} doesn't support consuming update changes which is produced by node ${producer}`;
    case 'deduplicate':
      return node.keepLast
        ? undefined
        : `${name} doesn't support consuming update changes which is produced by node ${producer}`;
    case 'join':
      return node.strategy.kind === 'interval' || node.strategy.kind === 'window'
        ? `${name} doesn't support consuming update changes which is produced by node ${producer}`
        : node.strategy.kind === 'temporal' && updatingInput === node.left
          ? `${name} doesn't support consuming update changes on its left side, which are produced by node ${producer}`
          : undefined;
    default:
      return undefined;
  }
}
