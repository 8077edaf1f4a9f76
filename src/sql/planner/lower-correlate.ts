import type { DataStream } from '../../api/data-stream.js';
import { SqlExpressionError, summarizeRow } from '../expr/expression-error.js';
import { COLUMN_OFFSET, type Row } from '../runtime/row.js';
import type { CorrelateNode, ExpandNode } from './logical-nodes.js';
import type { Lowered } from './lower.js';
import type { LowerContext } from './lower-context.js';

type Generate = (row: Row) => readonly (readonly unknown[])[];

/** The elements UNNEST makes of one value: array items (a ROW item spread into its fields), map entries. */
function elements(value: unknown, spread: boolean): unknown[][] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.map((v) => (spread ? (Array.isArray(v) ? v : [null]) : [v]));
  if (value instanceof Map) {
    // A MULTISET is a Map of element to count; a MAP a Map of key to value: told apart by the plan (spread flag).
    return [...value].map(([k, v]) => [k, v]);
  }
  return [];
}

function generator(ctx: LowerContext, node: CorrelateNode, name: string): Generate {
  const g = node.generator;
  if (g.kind === 'replicate') {
    const at = g.count + COLUMN_OFFSET;
    return (row) => {
      const n = Number(row[at] ?? 0);
      return n > 0 ? Array.from({ length: n }, () => []) : [];
    };
  }
  const args = ctx.compiler.projection(g.args, name);
  if (g.kind === 'table') {
    const fn = ctx.catalog.functions.table(g.function) as
      | { rows?: (args: readonly unknown[]) => unknown[][] }
      | undefined;
    const rows = fn?.rows;
    if (rows === undefined) return ctx.fail(`Table function '${g.function}' has no implementation`, node.span);
    const site = { name: g.function, span: node.span };
    return (row) => {
      const values = args(row).slice(COLUMN_OFFSET);
      try {
        return rows.call(fn, values);
      } catch (e) {
        throw new SqlExpressionError(site, name, summarizeRow(row), e);
      }
    };
  }
  const kinds = g.args.map((a) => a.type);
  const multiset = kinds.map((t) => t.kind === 'MULTISET');
  const spread = kinds.map((t) => (t.kind === 'ARRAY' || t.kind === 'MULTISET') && t.element.kind === 'ROW');
  const widths = kinds.map((t) => {
    if (t.kind === 'MAP') return 2;
    if ((t.kind === 'ARRAY' || t.kind === 'MULTISET') && t.element.kind === 'ROW') return t.element.fields.length;
    return 1;
  });
  const ordinality = g.withOrdinality;
  return (row) => {
    const values = args(row);
    const lists = g.args.map((_, i) => {
      const v = values[i + COLUMN_OFFSET];
      if (multiset[i] && v instanceof Map) {
        const out: unknown[][] = [];
        for (const [k, count] of v)
          for (let c = 0; c < Number(count); c++) out.push(spread[i] ? (k as unknown[]) : [k]);
        return out;
      }
      return elements(v, spread[i]!);
    });
    const n = Math.max(0, ...lists.map((l) => l.length));
    const out: unknown[][] = [];
    // Several arguments are zipped; the shorter ones are padded with NULLs (Calcite's UNNEST of several arrays).
    for (let k = 0; k < n; k++) {
      const r: unknown[] = [];
      lists.forEach((l, i) => {
        const item = l[k];
        for (let j = 0; j < widths[i]!; j++) r.push(item?.[j] ?? null);
      });
      if (ordinality) r.push(k + 1);
      out.push(r);
    }
    return out;
  };
}

/**
 * A Correlate as a flatMap: each input row, joined with the rows its generator yields, keeps its row kind (an
 * update of the input is the same update of every generated row).
 */
export function lowerCorrelate(
  ctx: LowerContext,
  node: CorrelateNode,
  input: Lowered,
  name: string,
  uid: string,
): Lowered {
  const generate = generator(ctx, node, name);
  const genWidth = node.schema.fields.length - node.input.schema.fields.length;
  const pred = node.condition === undefined ? undefined : ctx.compiler.predicate(node.condition, name);
  const left = node.joinType === 'LEFT';
  const stream = input.stream.flatMap((row: Row, out) => {
    let emitted = false;
    for (const g of generate(row)) {
      const o = row.slice();
      for (let j = 0; j < genWidth; j++) o.push(g[j] ?? null);
      if (pred !== undefined && !pred(o)) continue;
      emitted = true;
      out.collect(o);
    }
    if (!emitted && left) {
      const o = row.slice();
      for (let j = 0; j < genWidth; j++) o.push(null);
      out.collect(o);
    }
  }, name) as DataStream<Row>;
  return { stream: stream.uid(uid), mode: input.mode };
}

/** An Expand as a flatMap: one output row per projection list, each with the input's row kind. */
export function lowerExpand(ctx: LowerContext, node: ExpandNode, input: Lowered, name: string, uid: string): Lowered {
  const projections = node.projects.map((p) => ctx.compiler.projection(p, name));
  const stream = input.stream.flatMap((row: Row, out) => {
    for (const project of projections) {
      const o = project(row);
      o[0] = row[0];
      out.collect(o);
    }
  }, name) as DataStream<Row>;
  return { stream: stream.uid(uid), mode: input.mode };
}
