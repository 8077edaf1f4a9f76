import type { DataStream } from '../../api/data-stream.js';
import type { AggregateCall, AggregateFunctionDefinition } from '../functions/function-catalog.js';
import { evaluateAsyncBatch } from '../functions/udf/async-batch.js';
import { groupAggregate } from '../operators/group-aggregate.js';
import { materializeChangelog } from '../operators/materialize.js';
import { overAggregate } from '../operators/over-aggregate.js';
import { deduplicate, rank } from '../operators/rank.js';
import { windowAggregate, windowAssign } from '../operators/window-aggregate.js';
import { windowRank } from '../operators/window-rank.js';
import { type ChangelogMode, COLUMN_OFFSET, type Row } from '../runtime/row.js';
import type { SqlType } from '../types/sql-type.js';
import { modeOf } from './changelog-inference.js';
import { describe } from './explain.js';
import { type AggSpec, inputsOf, type LogicalNode } from './logical-nodes.js';
import type { LowerContext } from './lower-context.js';
import { lowerCorrelate, lowerExpand } from './lower-correlate.js';
import { lowerJoin } from './lower-join.js';
import { lowerSort } from './lower-sort.js';
import { lowerScan } from './lower-source.js';
import { type FieldUses, scanFieldUses } from './nested-projection.js';
import { makeCalc } from './node-builders.js';
import { planDigest } from './plan-digest.js';
import { isIdentity } from './rex-utils.js';

/** A lowered relation: its stream of rows and its changelog mode. */
export interface Lowered {
  readonly stream: DataStream<Row>;
  readonly mode: ChangelogMode;
}

function updating(m: ChangelogMode): boolean {
  return m !== 'insert-only';
}

/** The catalog's aggregate functions for a node's calls (refusing non-retractable ones over updates). */
export function aggregateCalls(
  ctx: LowerContext,
  calls: readonly AggSpec[],
  inputMode: ChangelogMode,
  node: LogicalNode,
): AggregateCall[] {
  return calls.map((c) => {
    const found = c.definition ?? ctx.catalog.functions.aggregate(c.function);
    if (found === undefined) return ctx.fail(`Aggregate function '${c.function}' not found`);
    const argTypes = c.args.map((a) => inputsOf(node)[0]!.schema.fields[a]!.type);
    // Built-ins pick their implementation by argument types and by whether retractions can arrive.
    const specializable = found as AggregateFunctionDefinition & {
      specialize?(types: readonly SqlType[], options?: { retraction?: boolean }): AggregateFunctionDefinition;
    };
    const fn = specializable.specialize?.(argTypes, { retraction: updating(inputMode) }) ?? found;
    if (updating(inputMode) && !fn.retractable) {
      ctx.fail(
        `Aggregate function '${c.function}' cannot consume update changes (it has no retract), which are produced by node ${describe(inputsOf(node)[0]!)}`,
      );
    }
    return {
      function: fn,
      argIndices: c.args,
      distinct: c.distinct,
      ...(c.filter === undefined ? {} : { filterIndex: c.filter }),
      type: c.type,
      name: c.name,
    };
  });
}

/**
 * Lowers a logical plan onto the DataStream API. `path` names the node's position for its uid
 * (sql-<statement>-<path>); equal scans of a statement share one source.
 */
export class Lowerer {
  private readonly scans = new Map<string, Lowered>();
  private readonly done = new Map<LogicalNode, Lowered>();

  constructor(readonly ctx: LowerContext) {}

  lower(node: LogicalNode, path: string): Lowered {
    // The first call is the root: what the whole plan reads of the scanned tables' ROW columns.
    this.fieldUses ??= scanFieldUses(node);
    const hit = this.done.get(node);
    if (hit !== undefined) return hit;
    // Sub-plan reuse: an equal subplan lowered before feeds this consumer too (computed once, as Flink does).
    const digest = node.kind === 'scan' ? undefined : planDigest(node);
    const same = digest === undefined ? undefined : this.byDigest.get(digest);
    if (same !== undefined) {
      this.done.set(node, same);
      return same;
    }
    const result = this.lowerNode(node, path);
    this.done.set(node, result);
    if (digest !== undefined) this.byDigest.set(digest, result);
    return result;
  }
  private readonly byDigest = new Map<string, Lowered>();
  private fieldUses: Map<string, FieldUses> | undefined;

  private requireAppend(input: Lowered, node: LogicalNode): void {
    if (updating(input.mode)) {
      this.ctx.fail(
        `${describe(node).split('(')[0]} doesn't support consuming update changes which is produced by node ${describe(inputsOf(node)[0]!)}`,
      );
    }
  }

  private lowerNode(node: LogicalNode, path: string): Lowered {
    const ctx = this.ctx;
    const name = describe(node);
    const opts = ctx.options(name, path);
    const child = (i: number) => this.lower(inputsOf(node)[i]!, `${path}.${i}`);
    switch (node.kind) {
      case 'scan': {
        const key = `${node.table.qualifiedName}|${(node.projection ?? []).join(',')}|${node.projection === undefined}`;
        const cached = this.scans.get(key);
        if (cached !== undefined) return cached;
        const s = lowerScan(ctx, node.table, node.projection, path, this.fieldUses?.get(node.table.qualifiedName));
        const out = { stream: s.stream, mode: s.mode };
        this.scans.set(key, out);
        return out;
      }
      case 'datastream':
        return { stream: node.stream, mode: node.mode };
      case 'values': {
        const project = ctx.compiler.projection(node.rows[0] ?? [], 'VALUES');
        const rows = node.rows.map((r) => {
          const out = (r === node.rows[0] ? project : ctx.compiler.projection(r, 'VALUES'))([0]);
          out[0] = 0;
          return out;
        });
        return {
          stream: ctx.env.fromCollection(rows, 'Values').uid(ctx.uid(path)) as DataStream<Row>,
          mode: 'insert-only',
        };
      }
      case 'calc': {
        const input = child(0);
        const width = node.input.schema.fields.length;
        const pred = node.condition === undefined ? undefined : ctx.compiler.predicate(node.condition, name);
        let stream: DataStream<Row>;
        if (isIdentity(node.projects, width)) {
          if (pred === undefined) return input;
          stream = input.stream.filter((row: Row) => pred(row), name);
        } else {
          const project = ctx.compiler.projection(node.projects, name);
          if (pred === undefined) {
            stream = input.stream.map((row: Row) => {
              const out = project(row);
              out[0] = row[0];
              return out;
            }, name);
          } else {
            stream = input.stream.flatMap((row: Row, out) => {
              if (!pred(row)) return;
              const o = project(row);
              o[0] = row[0];
              out.collect(o);
            }, name);
          }
        }
        return { stream: stream.uid(ctx.uid(path)), mode: input.mode };
      }
      case 'aggregate': {
        const input = child(0);
        const calls = aggregateCalls(ctx, node.calls, input.mode, node);
        return { stream: groupAggregate(input.stream, input.mode, node.groupKeys, calls, opts), mode: 'retract' };
      }
      case 'windowAggregate': {
        const input = child(0);
        this.requireAppend(input, node);
        const calls = aggregateCalls(ctx, node.calls, input.mode, node);
        return {
          stream: windowAggregate(input.stream, node.keys, node.window, calls, node.eventTime, opts),
          mode: 'insert-only',
        };
      }
      case 'windowTvf': {
        const input = child(0);
        this.requireAppend(input, node);
        if (node.window.type === 'SESSION')
          ctx.fail('SESSION window TVF is only supported under GROUP BY window_start, window_end');
        return { stream: windowAssign(input.stream, node.timeIndex, node.window, opts), mode: 'insert-only' };
      }
      case 'over': {
        const input = child(0);
        this.requireAppend(input, node);
        const ranking = node.calls.find((c) => ['ROW_NUMBER', 'RANK', 'DENSE_RANK'].includes(c.function));
        if (ranking !== undefined) {
          ctx.fail(
            `${ranking.function}() OVER (...) needs a filter on its result in the enclosing query (WHERE rownum <= N) to become a Top-N`,
            node.span,
          );
        }
        const order = node.orderBy[0];
        const t = order === undefined ? undefined : node.input.schema.fields[order.index]?.type;
        const attr =
          t !== undefined && (t.kind === 'TIMESTAMP' || t.kind === 'TIMESTAMP_LTZ') ? t.timeAttribute : undefined;
        if (node.orderBy.length !== 1 || attr === undefined || order!.descending) {
          ctx.fail("OVER windows' ordering in stream mode must be defined on a time attribute, ascending", node.span);
        }
        const calls = aggregateCalls(
          ctx,
          node.calls.map((c) => ({ function: c.function, args: c.args, distinct: false, type: c.type, name: c.name })),
          input.mode,
          node,
        );
        return {
          stream: overAggregate(
            input.stream,
            node.partition,
            order!.index,
            attr === 'rowtime',
            node.frame,
            calls,
            opts,
          ),
          mode: 'insert-only',
        };
      }
      case 'rank': {
        const input = child(0);
        const spec = {
          function: node.function,
          partitionIndices: node.partition,
          sortKeys: node.sortKeys,
          rankStart: node.rankStart,
          rankEnd: node.rankEnd,
          outputRankNumber: node.outputRankNumber,
        };
        return { stream: rank(input.stream, input.mode, spec, opts), mode: 'retract' };
      }
      case 'deduplicate': {
        const input = child(0);
        this.requireAppend(input, node);
        const stream = deduplicate(
          input.stream,
          node.partition,
          node.timeIndex,
          node.keepLast,
          node.rowtime,
          node.outputRankNumber,
          opts,
        );
        return { stream, mode: modeOf(node) };
      }
      case 'windowRank': {
        const input = child(0);
        this.requireAppend(input, node);
        const stream = windowRank(
          input.stream,
          node.windowStart,
          node.windowEnd,
          node.partition,
          node.sortKeys,
          node.function,
          node.rankStart,
          node.rankEnd,
          node.outputRankNumber,
          opts,
        );
        return { stream, mode: 'insert-only' };
      }
      case 'join':
        return lowerJoin(ctx, node, child(0), child(1), opts);
      case 'asyncCall': {
        const input = child(0);
        const calls = node.calls.map((c) => {
          const definition = ctx.catalog.functions.scalar(c.function);
          if (definition === undefined) return ctx.fail(`Function '${c.function}' not found`, c.span);
          return { definition, args: c.args.map((a) => a + COLUMN_OFFSET), span: c.span };
        });
        const stream = input.stream.mapAsync<Row>(async (row: Row) => {
          const out = row.slice();
          for (const c of calls) {
            const [value] = await evaluateAsyncBatch(c.definition as never, [c.args.map((i) => row[i])], {
              span: c.span,
            });
            out.push(value === undefined ? null : value);
          }
          // An array result is a list of outputs to async I/O: wrap the row.
          return [out];
        });
        return { stream: stream.name(name).uid(ctx.uid(path)), mode: input.mode };
      }
      case 'correlate':
        return lowerCorrelate(ctx, node, child(0), name, ctx.uid(path));
      case 'expand':
        return lowerExpand(ctx, node, child(0), name, ctx.uid(path));
      case 'sort': {
        const input = child(0);
        if (ctx.runtimeMode === 'batch') {
          // Batch: the result is final rows, sorted once the input has ended (an updating input settles first).
          const settled = updating(input.mode)
            ? materializeChangelog(input.stream, input.mode, undefined, node.schema.fields.length, {
                ...opts,
                name: `Materialize(${opts.name})`,
                uid: `${opts.uid}-materialize`,
              })
            : input.stream;
          return { stream: lowerSort(settled, { ...node, temporal: false }, opts), mode: 'insert-only' };
        }
        if (!node.temporal) ctx.fail('Sort on a non-time-attribute field is not supported.');
        this.requireAppend(input, node);
        const first = node.input.schema.fields[node.sortKeys[0]!.index]!.type;
        // Processing time: rows already arrive in processing-time order.
        if ((first.kind === 'TIMESTAMP' || first.kind === 'TIMESTAMP_LTZ') && first.timeAttribute === 'proctime')
          return input;
        return { stream: lowerSort(input.stream, node, opts), mode: 'insert-only' };
      }
      case 'union': {
        const inputs = node.inputs.map((_, i) => child(i));
        const [first, ...rest] = inputs;
        const stream = rest.length === 0 ? first!.stream : first!.stream.union(...rest.map((r) => r.stream));
        return { stream, mode: inputs.some((i) => updating(i.mode)) ? 'retract' : 'insert-only' };
      }
    }
  }
}

/**
 * Scans of one table in a statement read one source: every scan of a table reads the union of the columns the
 * scans need, and a calc above each picks its own (merged into the calc that follows by the next lowering step).
 */
export function unifyScans(roots: readonly LogicalNode[]): LogicalNode[] {
  const wanted = new Map<string, Set<number>>();
  const visit = (n: LogicalNode) => {
    if (n.kind === 'scan') {
      const set = wanted.get(n.table.qualifiedName) ?? new Set<number>();
      for (const i of n.projection ?? n.table.columns.map((_, j) => j)) set.add(i);
      wanted.set(n.table.qualifiedName, set);
    }
    inputsOf(n).forEach(visit);
  };
  roots.forEach(visit);
  const rewritten = new Map<LogicalNode, LogicalNode>();
  const rewrite = (n: LogicalNode): LogicalNode => {
    const seen = rewritten.get(n);
    if (seen !== undefined) return seen;
    let out: LogicalNode;
    if (n.kind === 'scan') {
      const all = [...wanted.get(n.table.qualifiedName)!].sort((a, b) => a - b);
      const mine = n.projection ?? n.table.columns.map((_, j) => j);
      if (all.length === mine.length && all.every((c, i) => c === mine[i])) out = n;
      else {
        const full = n.table.columns;
        const scan: LogicalNode = {
          kind: 'scan',
          table: n.table,
          projection: all,
          schema: { fields: all.map((i) => ({ name: full[i]!.name, type: full[i]!.type })) },
        };
        out = makeCalc(
          scan,
          mine.map((c) => ({ kind: 'input', index: all.indexOf(c), type: full[c]!.type })),
          n.schema.fields.map((f) => f.name),
        );
      }
    } else {
      const kids = inputsOf(n).map(rewrite);
      out =
        n.kind === 'join'
          ? { ...n, left: kids[0]!, right: kids[1]! }
          : n.kind === 'union'
            ? { ...n, inputs: kids }
            : kids.length === 1
              ? ({ ...n, input: kids[0]! } as LogicalNode)
              : n;
    }
    rewritten.set(n, out);
    return out;
  };
  return roots.map(rewrite);
}
