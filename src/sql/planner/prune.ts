import type { Rex } from '../plan/rex.js';
import type { AggSpec, JoinNode, JoinStrategy, LogicalNode } from './logical-nodes.js';
import { makeCalc } from './node-builders.js';
import { inputRefs, remap } from './rex-utils.js';

/** A pruned node and where each column the parent needs went (old index → new index). */
interface Pruned {
  readonly node: LogicalNode;
  readonly map: (index: number) => number;
}

const keepAll = (node: LogicalNode): Pruned => ({ node, map: (i) => i });

function sorted(set: Iterable<number>): number[] {
  return [...new Set(set)].sort((a, b) => a - b);
}

function refsOf(rexes: readonly (Rex | undefined)[]): Set<number> {
  const s = new Set<number>();
  for (const r of rexes) if (r !== undefined) inputRefs(r, s);
  return s;
}

/** The input columns aggregate calls read: their arguments and FILTER columns. */
function callColumns(calls: readonly AggSpec[]): number[] {
  return calls.flatMap((c) => (c.filter === undefined ? c.args : [...c.args, c.filter]));
}

/** The calls with their argument and FILTER columns moved as `m` says. */
function remapCalls(calls: readonly AggSpec[], m: (index: number) => number): AggSpec[] {
  return calls.map((c) => ({ ...c, args: c.args.map(m), filter: c.filter === undefined ? undefined : m(c.filter) }));
}

/**
 * Column pruning: every node keeps only the columns something above it reads, so joins, ranks and aggregates hold
 * smaller rows in state and scans decode fewer fields. `used` are the output columns the parent reads; the result
 * has at least those (mapped by `map`).
 */
export function prune(node: LogicalNode, used: readonly number[]): Pruned {
  switch (node.kind) {
    case 'calc': {
      const keep = sorted(used);
      const projects = keep.map((i) => node.projects[i]!);
      const inner = prune(node.input, sorted(refsOf([...projects, node.condition])));
      const names = keep.map((i) => node.schema.fields[i]!.name);
      const at = new Map(keep.map((old, i) => [old, i]));
      const calc = makeCalc(
        inner.node,
        projects.map((p) => remap(p, inner.map)),
        names,
        node.condition === undefined ? undefined : remap(node.condition, inner.map),
      );
      return { node: calc, map: (i) => at.get(i)! };
    }
    case 'scan': {
      const keep = sorted(used);
      if (keep.length === node.schema.fields.length) return keepAll(node);
      const current = node.projection ?? node.schema.fields.map((_, i) => i);
      const at = new Map(keep.map((old, i) => [old, i]));
      return {
        node: {
          ...node,
          projection: keep.map((i) => current[i]!),
          schema: { fields: keep.map((i) => node.schema.fields[i]!) },
        },
        map: (i) => at.get(i)!,
      };
    }
    case 'join':
      return pruneJoin(node, used);
    case 'aggregate': {
      const need = sorted([...node.groupKeys, ...callColumns(node.calls)]);
      const inner = prune(node.input, need);
      const m = inner.map;
      return {
        node: {
          ...node,
          input: inner.node,
          groupKeys: node.groupKeys.map(m),
          calls: remapCalls(node.calls, m),
        },
        map: (i) => i,
      };
    }
    case 'windowAggregate': {
      const need = sorted([...node.keys, ...(node.timeIndex >= 0 ? [node.timeIndex] : []), ...callColumns(node.calls)]);
      const inner = prune(node.input, need);
      const m = inner.map;
      return {
        node: {
          ...node,
          input: inner.node,
          keys: node.keys.map(m),
          timeIndex: node.timeIndex >= 0 ? m(node.timeIndex) : node.timeIndex,
          calls: remapCalls(node.calls, m),
        },
        map: (i) => i,
      };
    }
    case 'windowTvf': {
      const w = node.input.schema.fields.length;
      const inner = prune(node.input, sorted([...used.filter((i) => i < w), node.timeIndex]));
      const width = inner.node.schema.fields.length;
      const fields = [
        ...inner.node.schema.fields.map((f, i) =>
          i === inner.map(node.timeIndex) ? node.schema.fields[node.timeIndex]! : f,
        ),
        ...node.schema.fields.slice(w),
      ];
      return {
        node: { ...node, input: inner.node, timeIndex: inner.map(node.timeIndex), schema: { fields } },
        map: (i) => (i < w ? inner.map(i) : width + (i - w)),
      };
    }
    case 'over': {
      const w = node.input.schema.fields.length;
      const need = [
        ...used.filter((i) => i < w),
        ...node.partition,
        ...node.orderBy.map((o) => o.index),
        ...node.calls.flatMap((c) => c.args),
      ];
      const inner = prune(node.input, sorted(need));
      const m = inner.map;
      const width = inner.node.schema.fields.length;
      return {
        node: {
          ...node,
          input: inner.node,
          partition: node.partition.map(m),
          orderBy: node.orderBy.map((o) => ({ ...o, index: m(o.index) })),
          calls: node.calls.map((c) => ({ ...c, args: c.args.map(m) })),
          schema: { fields: [...inner.node.schema.fields, ...node.schema.fields.slice(w)] },
        },
        map: (i) => (i < w ? m(i) : width + (i - w)),
      };
    }
    case 'rank':
    case 'deduplicate':
    case 'windowRank': {
      const w = node.input.schema.fields.length;
      const own =
        node.kind === 'deduplicate'
          ? [...node.partition, node.timeIndex]
          : node.kind === 'rank'
            ? [...node.partition, ...node.sortKeys.map((s) => s.index)]
            : [...node.partition, ...node.sortKeys.map((s) => s.index), node.windowStart, node.windowEnd];
      const inner = prune(node.input, sorted([...used.filter((i) => i < w), ...own]));
      const m = inner.map;
      const width = inner.node.schema.fields.length;
      const fields = [...inner.node.schema.fields, ...node.schema.fields.slice(w)];
      let out: LogicalNode;
      if (node.kind === 'deduplicate')
        out = {
          ...node,
          input: inner.node,
          partition: node.partition.map(m),
          timeIndex: m(node.timeIndex),
          schema: { fields },
        };
      else if (node.kind === 'rank')
        out = {
          ...node,
          input: inner.node,
          partition: node.partition.map(m),
          sortKeys: node.sortKeys.map((s) => ({ ...s, index: m(s.index) })),
          schema: { fields },
        };
      else
        out = {
          ...node,
          input: inner.node,
          partition: node.partition.map(m),
          sortKeys: node.sortKeys.map((s) => ({ ...s, index: m(s.index) })),
          windowStart: m(node.windowStart),
          windowEnd: m(node.windowEnd),
          schema: { fields },
        };
      return { node: out, map: (i) => (i < w ? m(i) : width + (i - w)) };
    }
    case 'correlate': {
      const w = node.input.schema.fields.length;
      const g = node.generator;
      const own = g.kind === 'replicate' ? [g.count] : [...refsOf(g.args)];
      const cond = [...refsOf([node.condition])].filter((i) => i < w);
      const inner = prune(node.input, sorted([...used.filter((i) => i < w), ...own, ...cond]));
      const m = inner.map;
      const width = inner.node.schema.fields.length;
      const both = (i: number) => (i < w ? m(i) : width + (i - w));
      const generator =
        g.kind === 'replicate' ? { ...g, count: m(g.count) } : { ...g, args: g.args.map((a) => remap(a, m)) };
      return {
        node: {
          ...node,
          input: inner.node,
          generator,
          condition: node.condition === undefined ? undefined : remap(node.condition, both),
          schema: { fields: [...inner.node.schema.fields, ...node.schema.fields.slice(w)] },
        },
        map: both,
      };
    }
    case 'sort': {
      const w = node.input.schema.fields.length;
      const inner = prune(node.input, sorted([...used, ...node.sortKeys.map((k) => k.index)]));
      const m = inner.map;
      return {
        node: {
          ...node,
          input: inner.node,
          sortKeys: node.sortKeys.map((k) => ({ ...k, index: m(k.index) })),
          schema: inner.node.schema,
        },
        map: (i) => (i < w ? m(i) : i),
      };
    }
    case 'expand':
    case 'union': {
      if (node.kind === 'expand') {
        const inner = prune(node.input, sorted(refsOf(node.projects.flat())));
        return keepAll({
          ...node,
          input: inner.node,
          projects: node.projects.map((ps) => ps.map((p) => remap(p, inner.map))),
        });
      }
      const all = node.schema.fields.map((_, i) => i);
      return keepAll({ ...node, inputs: node.inputs.map((n) => prune(n, all).node) });
    }
    default:
      return keepAll(node);
  }
}

function pruneJoin(node: JoinNode, used: readonly number[]): Pruned {
  const lw = node.left.schema.fields.length;
  const semi = node.joinType === 'SEMI' || node.joinType === 'ANTI';
  const cond = refsOf([node.residual, node.condition]);
  const s = node.strategy;
  const leftNeed = new Set<number>([...used.filter((i) => i < lw), ...node.leftKeys]);
  const rightNeed = new Set<number>([
    ...(semi ? [] : used.filter((i) => i >= lw).map((i) => i - lw)),
    ...node.rightKeys,
  ]);
  for (const c of cond) (c < lw ? leftNeed : rightNeed).add(c < lw ? c : c - lw);
  if (s.kind === 'interval') {
    leftNeed.add(s.leftTime);
    rightNeed.add(s.rightTime);
  } else if (s.kind === 'window') {
    leftNeed.add(s.leftWindow.start).add(s.leftWindow.end);
    rightNeed.add(s.rightWindow.start).add(s.rightWindow.end);
  } else if (s.kind === 'temporal') {
    leftNeed.add(s.probeTime);
    if (s.versionTime >= 0) rightNeed.add(s.versionTime);
  }
  const left = prune(node.left, sorted(leftNeed));
  const right = prune(node.right, sorted(rightNeed));
  const nlw = left.node.schema.fields.length;
  const both = (i: number) => (i < lw ? left.map(i) : nlw + right.map(i - lw));
  const strategy: JoinStrategy =
    s.kind === 'interval'
      ? { ...s, leftTime: left.map(s.leftTime), rightTime: right.map(s.rightTime) }
      : s.kind === 'window'
        ? {
            kind: 'window',
            leftWindow: { start: left.map(s.leftWindow.start), end: left.map(s.leftWindow.end) },
            rightWindow: { start: right.map(s.rightWindow.start), end: right.map(s.rightWindow.end) },
          }
        : s.kind === 'temporal'
          ? {
              ...s,
              probeTime: left.map(s.probeTime),
              versionTime: s.versionTime >= 0 ? right.map(s.versionTime) : s.versionTime,
            }
          : s;
  // Output types: the join's own (time attributes as it decided), picked for the surviving columns.
  const keptLeft = Array.from({ length: nlw }, (_, j) => j);
  const inverse = (map: (i: number) => number, width: number) => {
    const inv = new Map<number, number>();
    for (let i = 0; i < width; i++) {
      try {
        const j = map(i);
        if (j !== undefined) inv.set(j, i);
      } catch {
        // not kept
      }
    }
    return inv;
  };
  const invLeft = inverse(left.map, lw);
  const invRight = inverse(right.map, node.right.schema.fields.length);
  const fields = [
    ...keptLeft.map((j) => node.schema.fields[invLeft.get(j)!] ?? left.node.schema.fields[j]!),
    ...(semi ? [] : right.node.schema.fields.map((f, j) => node.schema.fields[lw + invRight.get(j)!] ?? f)),
  ];
  return {
    node: {
      ...node,
      left: left.node,
      right: right.node,
      leftKeys: node.leftKeys.map(left.map),
      rightKeys: node.rightKeys.map(right.map),
      condition: node.condition === undefined ? undefined : remap(node.condition, both),
      residual: node.residual === undefined ? undefined : remap(node.residual, both),
      strategy,
      schema: { fields },
    },
    map: both,
  };
}
