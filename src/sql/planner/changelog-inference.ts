import type { ChangelogMode } from '../runtime/row.js';
import type { LogicalNode } from './logical-nodes.js';
import { inputsOf } from './logical-nodes.js';

const MODES = new WeakMap<LogicalNode, ChangelogMode>();

/** Connectors whose format or kind produce a changelog (an updating source). */
export function scanMode(options: ReadonlyMap<string, string>): ChangelogMode {
  if (options.get('connector') === 'upsert-kafka') return 'upsert';
  const format = options.get('format') ?? options.get('value.format') ?? '';
  return /debezium|canal|maxwell|ogg/.test(format) ? 'retract' : 'insert-only';
}

/**
 * The changelog a node produces (Flink's rules): aggregates, Top-N, keep-last deduplication, outer joins and joins
 * of updating inputs update; window operators, interval / window / temporal joins, OVER and keep-first
 * deduplication append.
 */
export function modeOf(node: LogicalNode): ChangelogMode {
  const cached = MODES.get(node);
  if (cached !== undefined) return cached;
  const mode = compute(node);
  MODES.set(node, mode);
  return mode;
}

function updating(m: ChangelogMode): boolean {
  return m !== 'insert-only';
}

function compute(node: LogicalNode): ChangelogMode {
  switch (node.kind) {
    case 'scan':
      return scanMode(node.table.resolved.options);
    case 'values':
      return 'insert-only';
    case 'datastream':
      return node.mode;
    case 'calc':
    case 'asyncCall':
    case 'correlate':
    case 'expand':
    case 'sort':
      return modeOf(node.input);
    case 'aggregate':
    case 'rank':
      return 'retract';
    case 'deduplicate':
      return node.keepLast ? 'retract' : 'insert-only';
    case 'windowTvf':
    case 'windowAggregate':
    case 'windowRank':
    case 'over':
      return 'insert-only';
    case 'union':
      return node.inputs.some((i) => updating(modeOf(i))) ? 'retract' : 'insert-only';
    case 'join': {
      const s = node.strategy.kind;
      if (s === 'interval' || s === 'window' || s === 'temporal') return 'insert-only';
      const both = !updating(modeOf(node.left)) && !updating(modeOf(node.right));
      return both && (node.joinType === 'INNER' || node.joinType === 'SEMI') ? 'insert-only' : 'retract';
    }
  }
}

/** The deepest node on the path to `node` that starts producing updates (for Flink's sink error message). */
export function updateProducer(node: LogicalNode): LogicalNode {
  for (const input of inputsOf(node)) {
    if (updating(modeOf(input))) return updateProducer(input);
  }
  return node;
}
