import type { PlanNode } from '../plan/nodes.js';
import type { StreamOperator } from './operator.js';
import { AsyncOperator } from './operators/async-operator.js';
import { BroadcastProcessOperator } from './operators/broadcast-process-operator.js';
import { CoProcessOperator } from './operators/co-process-operator.js';
import { ProcessOperator } from './operators/process-operator.js';
import { ReduceOperator } from './operators/reduce-operator.js';
import { SinkOperator } from './operators/sink-operator.js';
import { FilterOperator, FlatMapOperator, MapOperator } from './operators/stateless-operators.js';
import { TimestampsOperator } from './operators/timestamps-operator.js';
import { WindowOperator } from './operators/window-operator.js';

/** True when the node's operator holds keyed state (its subtask gets a keyed state backend). */
export function isKeyed(node: PlanNode): boolean {
  switch (node.kind) {
    case 'process':
    case 'broadcastProcess':
      return node.keySelector !== undefined;
    case 'coProcess':
      return node.keySelectors !== undefined;
    case 'reduce':
    case 'window':
      return true;
    default:
      return false;
  }
}

/** Translates a plan node into a fresh operator instance for one subtask. */
export function createOperator(node: PlanNode): StreamOperator {
  switch (node.kind) {
    case 'map':
      return new MapOperator(node.fn as never, node.rich);
    case 'filter':
      return new FilterOperator(node.fn as never, node.rich);
    case 'flatMap':
      return new FlatMapOperator(node.fn as never, node.rich);
    case 'process':
      return new ProcessOperator(node.fn as never, node.keySelector);
    case 'coProcess':
      return new CoProcessOperator(node.fn as never, node.keySelectors);
    case 'broadcastProcess':
      return new BroadcastProcessOperator(node.fn as never, node.keySelector);
    case 'reduce':
      return new ReduceOperator(node.fn as never, node.keySelector);
    case 'timestamps':
      return new TimestampsOperator(node.strategy);
    case 'window':
      return new WindowOperator(node, node.keySelector);
    case 'async':
      return new AsyncOperator(node.fn as never, node);
    case 'sink':
      return new SinkOperator(node.sink);
    case 'source':
    case 'union':
      throw new Error(`plan node '${node.kind}' is not an operator`);
  }
}
