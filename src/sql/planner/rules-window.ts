import type { WindowSpec } from '../operators/window-aggregate.js';
import type { Rex } from '../plan/rex.js';
import type { SqlType } from '../types/sql-type.js';
import { modeOf } from './changelog-inference.js';
import type { AggregateNode, CalcNode, LogicalNode, OverNode, WindowAggregateNode } from './logical-nodes.js';
import { makeCalc } from './node-builders.js';
import { and, conjuncts, inputRefs, remap, substitute } from './rex-utils.js';

/** Where a column's window property comes from: a window TVF or a windowed node, and which column it is. */
export interface WindowOrigin {
  readonly source: LogicalNode;
  readonly which: 'start' | 'end' | 'time';
  /** The window spec the column belongs to. */
  readonly window: WindowSpec;
}

const WHICH = ['start', 'end', 'time'] as const;

/** Follows a column through plain references down to the window column it passes on, if any. */
export function traceWindow(node: LogicalNode, index: number): WindowOrigin | undefined {
  switch (node.kind) {
    case 'calc': {
      const p = node.projects[index];
      return p?.kind === 'input' ? traceWindow(node.input, p.index) : undefined;
    }
    case 'windowTvf': {
      const w = node.input.schema.fields.length;
      return index >= w
        ? { source: node, which: WHICH[index - w]!, window: node.window }
        : traceWindow(node.input, index);
    }
    case 'windowAggregate': {
      const k = node.keys.length;
      if (index < k) return traceWindow(node.input, node.keys[index]!);
      if (index < k + 3) {
        const which = WHICH[index - k]!;
        if (node.cascaded !== undefined && which !== 'time') {
          return traceWindow(node.input, node.keys[which === 'start' ? node.cascaded.startKey : node.cascaded.endKey]!);
        }
        return { source: node, which, window: node.window };
      }
      return undefined;
    }
    case 'windowRank':
    case 'deduplicate':
    case 'rank':
    case 'over':
      return index < node.input.schema.fields.length ? traceWindow(node.input, index) : undefined;
    case 'join': {
      if (node.strategy.kind !== 'window') return undefined;
      const lw = node.left.schema.fields.length;
      return index < lw ? traceWindow(node.left, index) : traceWindow(node.right, index - lw);
    }
    default:
      return undefined;
  }
}

/** The window start and end columns among `columns`, from one window. */
export function findWindowPair(
  node: LogicalNode,
  columns: readonly number[],
): { start: number; end: number; origin: WindowOrigin } | undefined {
  const origins = columns.map((c) => traceWindow(node, c));
  for (let i = 0; i < columns.length; i++) {
    const s = origins[i];
    if (s?.which !== 'start') continue;
    for (let j = 0; j < columns.length; j++) {
      const e = origins[j];
      if (e?.which === 'end' && sameWindowSource(s, e)) return { start: columns[i]!, end: columns[j]!, origin: s };
    }
  }
  return undefined;
}

function sameWindowSource(a: WindowOrigin, b: WindowOrigin): boolean {
  return a.source === b.source || JSON.stringify(a.window) === JSON.stringify(b.window);
}

/**
 * GROUP BY window_start, window_end[, ...] over a window TVF (through calcs) → a WindowAggregate whose operator
 * assigns the windows itself; over the output of another windowed node → a cascaded WindowAggregate that reuses the
 * windows. Returns undefined when the aggregate is not windowed.
 */
export function windowAggregateRule(agg: AggregateNode): LogicalNode | undefined {
  const pair = findWindowPair(agg.input, agg.groupKeys);
  if (pair === undefined) return undefined;
  const origin = pair.origin;
  const keyOrigins = agg.groupKeys.map((k) => traceWindow(agg.input, k));
  const g = agg.groupKeys.length;
  const out = agg.schema.fields;
  if (origin.source.kind === 'windowTvf' && agg.input.kind === 'calc' && agg.input.input === origin.source) {
    const tvf = origin.source;
    const calc = agg.input;
    const w = tvf.input.schema.fields.length;
    const windowKeyPositions = new Set(agg.groupKeys.filter((_, i) => keyOrigins[i]?.source === tvf).map((k) => k));
    const usesWindow = (r: Rex | undefined) => r !== undefined && [...inputRefs(r)].some((i) => i >= w);
    // Conjuncts on window columns that are grouped (WHERE window_start >= ...) hold for a whole window: they
    // filter the window aggregate's results. Others on window columns (ts > window_start) leave a group aggregate.
    const keyOf = new Map<number, number>();
    agg.groupKeys.forEach((k, i) => {
      const p = calc.projects[k];
      if (p?.kind === 'input' && !keyOf.has(p.index)) keyOf.set(p.index, i);
    });
    const below: Rex[] = [];
    const after: Rex[] = [];
    for (const c of conjuncts(calc.condition)) {
      if (!usesWindow(c)) below.push(c);
      else if ([...inputRefs(c)].every((i) => keyOf.has(i))) after.push(remap(c, (i) => keyOf.get(i)!));
      else return undefined;
    }
    const kept: number[] = [];
    calc.projects.forEach((p, i) => {
      if (windowKeyPositions.has(i)) return;
      if (usesWindow(p)) kept.push(-1);
      else kept.push(i);
    });
    if (kept.includes(-1)) return undefined;
    const newIndex = new Map(kept.map((old, i) => [old, i]));
    const pre = makeCalc(
      tvf.input,
      kept.map((i) => calc.projects[i]!),
      kept.map((i) => calc.schema.fields[i]!.name),
      and(below),
    );
    const keys = agg.groupKeys.filter((k) => !windowKeyPositions.has(k)).map((k) => newIndex.get(k)!);
    const calls = agg.calls.map((c) => ({
      ...c,
      args: c.args.map((a) => newIndex.get(a)!),
      filter: c.filter === undefined ? undefined : newIndex.get(c.filter),
    }));
    // The pre-projection keeps record timestamps (= the rowtime), so the operator needs no time column: -1.
    const node = windowAggNode(pre, keys, tvf.window, -1, tvf.eventTime, calls, undefined, out);
    // Map the Aggregate's output order onto [keys..., ws, we, wt, aggs...].
    let next = 0;
    const projects: Rex[] = agg.groupKeys.map((_k, i) => {
      const o = keyOrigins[i];
      if (o?.source === tvf)
        return {
          kind: 'input',
          index: keys.length + WHICH.indexOf(o.which),
          type: node.schema.fields[keys.length + WHICH.indexOf(o.which)]!.type,
        };
      const at = next++;
      return { kind: 'input', index: at, type: node.schema.fields[at]!.type };
    });
    calls.forEach((_, i) => projects.push({ kind: 'input', index: keys.length + 3 + i, type: out[g + i]!.type }));
    const post = and(after.map((c) => substitute(c, projects)));
    return makeCalc(
      node,
      projects,
      out.map((f) => f.name),
      post,
    );
  }
  if (origin.source.kind === 'windowTvf') return undefined;
  if (modeOf(agg.input) !== 'insert-only') return undefined;
  const original = origin.window;
  let reuse: WindowSpec;
  switch (original.type) {
    case 'TUMBLE':
      reuse = {
        type: 'TUMBLE',
        size: original.size,
        ...(original.offset === undefined ? {} : { offset: original.offset }),
      };
      break;
    case 'HOP':
      reuse = {
        type: 'TUMBLE',
        size: original.slide,
        ...(original.offset === undefined ? {} : { offset: original.offset }),
      };
      break;
    case 'CUMULATE':
      reuse = {
        type: 'TUMBLE',
        size: original.step,
        ...(original.offset === undefined ? {} : { offset: original.offset }),
      };
      break;
    default:
      return undefined;
  }
  const cascaded = { startKey: agg.groupKeys.indexOf(pair.start), endKey: agg.groupKeys.indexOf(pair.end), original };
  const node = windowAggNode(agg.input, agg.groupKeys, reuse, -1, true, agg.calls, cascaded, out);
  const projects: Rex[] = out.map((f, i) => ({
    kind: 'input',
    index: i < g ? i : i + 3,
    type: i < g ? node.schema.fields[i]!.type : f.type,
  }));
  return makeCalc(
    node,
    projects,
    out.map((f) => f.name),
  );
}

function windowAggNode(
  input: LogicalNode,
  keys: readonly number[],
  window: WindowSpec,
  timeIndex: number,
  eventTime: boolean,
  calls: AggregateNode['calls'],
  cascaded: WindowAggregateNode['cascaded'],
  aggOut: AggregateNode['schema']['fields'],
): WindowAggregateNode {
  const ts: SqlType = { kind: 'TIMESTAMP', precision: 3, nullable: false };
  const wt: SqlType = eventTime
    ? { kind: 'TIMESTAMP', precision: 3, nullable: false, timeAttribute: 'rowtime' }
    : { kind: 'TIMESTAMP_LTZ', precision: 3, nullable: false, timeAttribute: 'proctime' };
  const g = aggOut.length - calls.length;
  const keyFields = keys.map((k) => input.schema.fields[k]!);
  return {
    kind: 'windowAggregate',
    input,
    keys,
    window,
    timeIndex,
    eventTime,
    calls,
    ...(cascaded === undefined ? {} : { cascaded }),
    schema: {
      fields: [
        ...keyFields.map((f) => ({ name: f.name, type: f.type })),
        { name: 'window_start', type: ts },
        { name: 'window_end', type: ts },
        { name: 'window_time', type: wt },
        ...calls.map((c, i) => ({ name: aggOut[g + i]?.name ?? c.name, type: c.type })),
      ],
    },
  };
}

/** `rn <= N`-style bounds on column `rn` among conjuncts: [start, end] and the conjuncts left over. */
function rankBounds(conds: readonly Rex[], rn: number): { start: number; end: number; rest: Rex[] } | undefined {
  let start = 1;
  let end: number | undefined;
  const rest: Rex[] = [];
  for (const c of conds) {
    if (c.kind === 'call' && c.args.length === 2) {
      let [a, b] = c.args as [Rex, Rex];
      let op = c.name;
      if (b.kind === 'input' && b.index === rn && a.kind === 'literal') {
        [a, b] = [b, a];
        op = ({ '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' } as Record<string, string>)[op] ?? op;
      }
      if (a.kind === 'input' && a.index === rn && b.kind === 'literal' && typeof b.value === 'number') {
        const v = b.value;
        if (op === '<=') end = Math.min(end ?? v, v);
        else if (op === '<') end = Math.min(end ?? v - 1, v - 1);
        else if (op === '=') {
          start = Math.max(start, v);
          end = Math.min(end ?? v, v);
        } else if (op === '>=') start = Math.max(start, v);
        else if (op === '>') start = Math.max(start, v + 1);
        else {
          rest.push(c);
          continue;
        }
        continue;
      }
    }
    rest.push(c);
  }
  return end === undefined ? undefined : { start, end, rest };
}

/**
 * A filter on ROW_NUMBER / RANK / DENSE_RANK over an OVER window → Top-N: window Top-N when partitioned by a
 * window's start and end, deduplication for ROW_NUMBER = 1 ordered by a time attribute, else unwindowed Rank.
 */
export function rankRule(calc: CalcNode): LogicalNode | undefined {
  const over = calc.input;
  if (over.kind !== 'over' || over.calls.length !== 1) return undefined;
  const fn = over.calls[0]!.function;
  if (fn !== 'ROW_NUMBER' && fn !== 'RANK' && fn !== 'DENSE_RANK') return undefined;
  const w = over.input.schema.fields.length;
  const bounds = rankBounds(conjuncts(calc.condition), w);
  if (bounds === undefined) return undefined;
  const rest = and(bounds.rest);
  const used = new Set<number>();
  for (const p of calc.projects) inputRefs(p, used);
  if (rest !== undefined) inputRefs(rest, used);
  const outputRankNumber = used.has(w);
  const fields = outputRankNumber ? over.schema.fields : over.input.schema.fields;
  const schema = { fields: [...fields] };
  const input = over.input;
  const pair = findWindowPair(input, over.partition);
  let node: LogicalNode;
  if (pair !== undefined && modeOf(input) === 'insert-only') {
    node = {
      kind: 'windowRank',
      input,
      windowStart: pair.start,
      windowEnd: pair.end,
      function: fn,
      partition: over.partition.filter((p) => p !== pair.start && p !== pair.end),
      sortKeys: over.orderBy,
      rankStart: bounds.start,
      rankEnd: bounds.end,
      outputRankNumber,
      schema,
    };
  } else {
    const sortType = over.orderBy.length === 1 ? input.schema.fields[over.orderBy[0]!.index]?.type : undefined;
    const attr =
      sortType !== undefined && (sortType.kind === 'TIMESTAMP' || sortType.kind === 'TIMESTAMP_LTZ')
        ? sortType.timeAttribute
        : undefined;
    if (
      fn === 'ROW_NUMBER' &&
      bounds.start === 1 &&
      bounds.end === 1 &&
      attr !== undefined &&
      modeOf(input) === 'insert-only'
    ) {
      node = {
        kind: 'deduplicate',
        input,
        partition: over.partition,
        timeIndex: over.orderBy[0]!.index,
        keepLast: over.orderBy[0]!.descending,
        rowtime: attr === 'rowtime',
        outputRankNumber,
        schema,
      };
    } else {
      node = {
        kind: 'rank',
        input,
        function: fn,
        partition: over.partition,
        sortKeys: over.orderBy,
        rankStart: bounds.start,
        rankEnd: bounds.end,
        outputRankNumber,
        schema,
      };
    }
  }
  return makeCalc(
    node,
    calc.projects,
    calc.schema.fields.map((f) => f.name),
    rest === undefined ? undefined : remap(rest, (i) => i),
  );
}

export type { OverNode };
