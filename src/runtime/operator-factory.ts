import type { PlanNode } from '../plan/nodes.js';
import { cloneFunctionObject } from './clone-function.js';
import type { StreamOperator } from './operator.js';
import { AsyncOperator } from './operators/async-operator.js';
import { BroadcastProcessOperator } from './operators/broadcast-process-operator.js';
import { CoProcessOperator } from './operators/co-process-operator.js';
import { LocalAggregateOperator } from './operators/local-aggregate-operator.js';
import { ProcessOperator } from './operators/process-operator.js';
import { ReduceOperator } from './operators/reduce-operator.js';
import { RollingAggregateOperator } from './operators/rolling-aggregate-operator.js';
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
    case 'aggregate':
    case 'window':
      return true;
    default:
      return false;
  }
}

/**
 * Translates a plan node into a fresh operator instance for one subtask. With `copyFunctions`, user function objects
 * are copied for this subtask (needed when several subtasks of one operator share a thread; with one thread per
 * subtask each thread built its own plan and owns its function objects).
 *
 * @throws PlanError naming the operator when its function object cannot be copied.
 */
export function createOperator(node: PlanNode, copyFunctions = false): StreamOperator {
  const own = <T extends object>(fn: T): T =>
    copyFunctions ? cloneFunctionObject(fn, `'${node.name}' (uid ${node.uid})`) : fn;
  switch (node.kind) {
    case 'map':
    case 'filter':
    case 'flatMap': {
      // A function object with open/close gets a copy per subtask; its method is bound to that copy.
      const rich = node.rich === undefined ? undefined : own(node.rich);
      const fn =
        rich === undefined || rich === node.rich ? node.fn : (rich as Record<string, Function>)[node.kind]!.bind(rich);
      if (node.kind === 'map') return new MapOperator(fn as never, rich);
      if (node.kind === 'filter') return new FilterOperator(fn as never, rich);
      return new FlatMapOperator(fn as never, rich);
    }
    case 'process':
      return new ProcessOperator(own(node.fn) as never, node.keySelector, node.watermarkDelayMs);
    case 'coProcess':
      return new CoProcessOperator(own(node.fn) as never, node.keySelectors, node.watermarkDelayMs);
    case 'broadcastProcess':
      return new BroadcastProcessOperator(own(node.fn) as never, node.keySelector);
    case 'reduce':
      return new ReduceOperator(node.fn as never, node.keySelector);
    case 'aggregate':
      return new RollingAggregateOperator(
        own(node.aggregate),
        node.keySelector,
        node.emit === 'final',
        node.partials === true,
      );
    case 'localAggregate':
      // Copied per subtask as the keyed operator behind it copies it: rolling aggregates yes, window aggregates no.
      return new LocalAggregateOperator(
        node.slicing === undefined ? own(node.aggregate) : node.aggregate,
        node.keySelector,
        node.slicing,
      );
    case 'timestamps':
      return new TimestampsOperator(node.strategy);
    case 'window':
      return new WindowOperator(
        { ...node, windowFunction: node.windowFunction && own(node.windowFunction) },
        node.keySelector,
      );
    case 'async':
      return new AsyncOperator(node.fn as never, node);
    case 'sink':
      return new SinkOperator(node.sink);
    case 'source':
    case 'union':
      throw new Error(`plan node '${node.kind}' is not an operator`);
  }
}
