import type { FunctionCatalog } from '../functions/function-catalog.js';
import type { WindowSpec } from '../operators/window-aggregate.js';
import type { NamedTableRef, Span, TableFunctionRef, TableRef } from '../parser/ast.js';
import type { Rex } from '../plan/rex.js';
import { nearestName } from '../sql-error.js';
import { formatType, type RowField, type SqlType } from '../types/sql-type.js';
import { constantMs } from './binder-aggregate.js';
import { bindCorrelate } from './binder-correlate.js';
import type { ExprBinder, Fail } from './binder-expr.js';
import { Scope, type ScopeField } from './binder-scope.js';
import { tableSchema } from './catalog-table.js';
import { joinSchema, type LogicalNode, stripTimeAttribute } from './logical-nodes.js';
import { makeCalc, makeJoin } from './node-builders.js';

/** A bound FROM item: its plan and the columns it makes visible. */
export interface BoundRelation {
  readonly node: LogicalNode;
  readonly fields: readonly ScopeField[];
  /** `FOR SYSTEM_TIME AS OF`: the right side of a temporal join. */
  readonly systemTime?: NamedTableRef['systemTimeAsOf'];
}

/** Looks up a named relation (CTE, view, table) and binds a query; implemented by the query binder. */
export interface RelationResolver {
  named(ref: NamedTableRef): { node: LogicalNode; names: readonly string[] };
  query(ref: TableRef & { kind: 'subquery' }): { node: LogicalNode; names: readonly string[] };
  readonly binder: ExprBinder;
  readonly fail: Fail;
  /** The script's functions (table functions for LATERAL TABLE). */
  readonly functions: FunctionCatalog;
}

function fieldsOf(node: LogicalNode, names: readonly string[], qualifier: string | undefined): ScopeField[] {
  return node.schema.fields.map((f, i) => ({ qualifier, name: names[i] ?? f.name, index: i, type: f.type }));
}

/** Renames a relation's columns (`AS t (a, b)`): a Calc that passes the columns through under new names. */
function renamed(node: LogicalNode, names: readonly string[]): LogicalNode {
  if (names.every((n, i) => node.schema.fields[i]?.name === n)) return node;
  const projects: Rex[] = node.schema.fields.map((f, i) => ({ kind: 'input', index: i, type: f.type }));
  return makeCalc(node, projects, names);
}

/** Binds a FROM item. */
export function bindFrom(ref: TableRef, r: RelationResolver): BoundRelation {
  switch (ref.kind) {
    case 'table': {
      const { node, names } = r.named(ref);
      const qualifier = ref.alias?.name ?? ref.name.parts[ref.name.parts.length - 1]!.name;
      const cols = aliasColumns(names, ref.columnAliases, r.fail, ref.span);
      const out = renamed(node, cols);
      return { node: out, fields: fieldsOf(out, cols, qualifier), systemTime: ref.systemTimeAsOf };
    }
    case 'subquery': {
      const { node, names } = r.query(ref);
      const cols = aliasColumns(names, ref.columnAliases, r.fail, ref.span);
      const out = renamed(node, cols);
      return { node: out, fields: fieldsOf(out, cols, ref.alias?.name) };
    }
    case 'tableFunction':
      return bindWindowTvf(ref, r);
    case 'join':
      return bindJoin(ref, r);
    case 'lateral':
    case 'unnest':
      return bindCorrelate(undefined, ref, 'INNER', undefined, ref.span, r);
  }
}

function aliasColumns(
  names: readonly string[],
  aliases: readonly { name: string }[] | undefined,
  fail: Fail,
  span: Span,
): string[] {
  if (aliases === undefined) return [...names];
  if (aliases.length !== names.length) {
    return fail(
      `List of column aliases must have same degree as table; table has ${names.length} columns, aliases list has ${aliases.length}`,
      span,
    );
  }
  return aliases.map((a) => a.name);
}

function bindJoin(ref: TableRef & { kind: 'join' }, r: RelationResolver): BoundRelation {
  const left = bindFrom(ref.left, r);
  if (ref.right.kind === 'lateral' || ref.right.kind === 'unnest') {
    if (ref.joinType !== 'INNER' && ref.joinType !== 'CROSS' && ref.joinType !== 'LEFT') {
      return r.fail(`${ref.joinType} JOIN is not supported with LATERAL TABLE or UNNEST (use CROSS or LEFT)`, ref.span);
    }
    if (ref.using !== undefined) return r.fail('USING is not supported with LATERAL TABLE or UNNEST', ref.span);
    return bindCorrelate(left, ref.right, ref.joinType === 'LEFT' ? 'LEFT' : 'INNER', ref.on, ref.span, r);
  }
  const right = bindFrom(ref.right, r);
  const width = left.node.schema.fields.length;
  const fields = [...left.fields, ...right.fields.map((f) => ({ ...f, index: f.index + width }))];
  const scope = new Scope(fields);
  let condition: Rex | undefined;
  if (ref.on !== undefined) condition = r.binder.bind(ref.on, { scope });
  if (ref.using !== undefined) {
    const eqs = ref.using.map((id) => {
      const l = left.fields.find((f) => f.name === id.name);
      const rt = right.fields.find((f) => f.name === id.name);
      if (l === undefined || rt === undefined)
        return r.fail(`Column '${id.name}' not found in both sides of USING`, id.span);
      return r.binder.binary(
        '=',
        { kind: 'input', index: l.index, type: l.type },
        { kind: 'input', index: rt.index + width, type: rt.type },
        id.span,
      );
    });
    condition = eqs.reduce<Rex | undefined>(
      (acc, e) => (acc === undefined ? e : r.binder.binary('AND', acc, e, ref.span)),
      condition,
    );
  }
  const joinType = ref.joinType === 'CROSS' ? 'INNER' : ref.joinType;
  if (right.systemTime !== undefined) {
    const probe = r.binder.bind(right.systemTime, { scope: new Scope(left.fields) });
    if (probe.kind !== 'input')
      return r.fail('FOR SYSTEM_TIME AS OF must name a time attribute of the left table', right.systemTime.span);
    const attr = timeAttributeOf(probe.type);
    if (attr === undefined)
      return r.fail('FOR SYSTEM_TIME AS OF must name a time attribute of the left table', right.systemTime.span);
    if (joinType !== 'INNER' && joinType !== 'LEFT')
      return r.fail('Temporal joins support only INNER and LEFT joins', ref.span);
    const versionTime = right.node.schema.fields.findIndex((f) => timeAttributeOf(f.type) === 'rowtime');
    if (attr === 'rowtime' && versionTime < 0)
      return r.fail('Event-time temporal join needs a rowtime attribute on the versioned table', ref.right.span);
    const schema = joinSchema(left.node.schema, right.node.schema, joinType, false);
    const keepLeft = { fields: [...left.node.schema.fields, ...schema.fields.slice(width)] };
    const node = makeJoin(left.node, right.node, joinType, condition, keepLeft, {
      kind: 'temporal',
      probeTime: probe.index,
      versionTime,
      eventTime: attr === 'rowtime',
    });
    return { node, fields: withTypes(fields, node.schema.fields) };
  }
  const schema = joinSchema(left.node.schema, right.node.schema, joinType, false);
  const node = makeJoin(left.node, right.node, joinType, condition, schema);
  return { node, fields: withTypes(fields, schema.fields) };
}

function withTypes(fields: readonly ScopeField[], types: readonly RowField[]): ScopeField[] {
  return fields.map((f) => ({ ...f, type: types[f.index]?.type ?? f.type }));
}

/** The time attribute of a type, if any. */
export function timeAttributeOf(t: SqlType): 'rowtime' | 'proctime' | undefined {
  return t.kind === 'TIMESTAMP' || t.kind === 'TIMESTAMP_LTZ' ? t.timeAttribute : undefined;
}

const TVF_PARAMS: Record<string, string[]> = {
  TUMBLE: ['DATA', 'TIMECOL', 'SIZE', 'OFFSET'],
  HOP: ['DATA', 'TIMECOL', 'SLIDE', 'SIZE', 'OFFSET'],
  CUMULATE: ['DATA', 'TIMECOL', 'STEP', 'SIZE', 'OFFSET'],
  SESSION: ['DATA', 'TIMECOL', 'GAP'],
};

/** TABLE(TUMBLE|HOP|CUMULATE|SESSION(TABLE t, DESCRIPTOR(ts), ...)): input columns + window columns. */
function bindWindowTvf(ref: TableFunctionRef, r: RelationResolver): BoundRelation {
  const params = TVF_PARAMS[ref.name.toUpperCase()];
  if (params === undefined)
    return r.fail(
      `Table function '${ref.name}' not found (window TVFs: TUMBLE, HOP, CUMULATE, SESSION)`,
      ref.span,
      nearestName(ref.name, Object.keys(TVF_PARAMS)) === undefined
        ? undefined
        : `Did you mean '${nearestName(ref.name, Object.keys(TVF_PARAMS))}'?`,
    );
  const byName = new Map<string, (typeof ref.args)[number]>();
  ref.args.forEach((a, i) => {
    const key = a.name?.toUpperCase() ?? params[i];
    if (key === undefined) r.fail(`Too many arguments for ${ref.name}`, ref.span);
    byName.set(key!, a);
  });
  const data = byName.get('DATA');
  const timecol = byName.get('TIMECOL');
  if (data?.kind !== 'tableArg' || timecol?.kind !== 'descriptorArg') {
    return r.fail(`${ref.name} needs TABLE t and DESCRIPTOR(time column) as its first arguments`, ref.span);
  }
  const input = bindFrom(data.table, r);
  const timeName = timecol.columns[0];
  const timeField = input.fields.find((f) => f.name === timeName?.name);
  if (timeField === undefined) {
    const near = nearestName(
      timeName?.name ?? '',
      input.fields.map((f) => f.name),
    );
    return r.fail(
      `Column '${timeName?.name}' not found in the table of ${ref.name}`,
      timeName?.span ?? ref.span,
      near === undefined ? undefined : `Did you mean '${near}'?`,
    );
  }
  const attr = timeAttributeOf(timeField.type);
  if (attr === undefined) {
    return r.fail(
      `The window function requires the timecol is a time attribute type, but is ${formatType(timeField.type)}.`,
      timeName!.span,
    );
  }
  const ms = (key: string): number | undefined => {
    const a = byName.get(key);
    if (a === undefined) return undefined;
    if (a.kind !== 'expressionArg') return r.fail(`${key} must be an interval`, ref.span);
    return constantMs(r.binder.bind(a.expression, { scope: new Scope([]) }), a.expression.span, r.fail);
  };
  const need = (key: string): number => ms(key) ?? r.fail(`${ref.name} needs ${key}`, ref.span);
  const offset = ms('OFFSET');
  const o = offset === undefined ? {} : { offset };
  const name = ref.name.toUpperCase();
  const window: WindowSpec =
    name === 'TUMBLE'
      ? { type: 'TUMBLE', size: need('SIZE'), ...o }
      : name === 'HOP'
        ? { type: 'HOP', slide: need('SLIDE'), size: need('SIZE'), ...o }
        : name === 'CUMULATE'
          ? { type: 'CUMULATE', step: need('STEP'), size: need('SIZE'), ...o }
          : { type: 'SESSION', gap: need('GAP') };
  const ts: SqlType = { kind: 'TIMESTAMP', precision: 3, nullable: false };
  const wt: SqlType =
    attr === 'rowtime'
      ? { kind: timeField.type.kind as 'TIMESTAMP', precision: 3, nullable: false, timeAttribute: 'rowtime' }
      : { kind: 'TIMESTAMP_LTZ', precision: 3, nullable: false, timeAttribute: 'proctime' };
  const inFields = input.node.schema.fields;
  const fields: RowField[] = [
    ...inFields.map((f, i) => (i === timeField.index ? { name: f.name, type: stripTimeAttribute(f.type) } : f)),
    { name: 'window_start', type: ts },
    { name: 'window_end', type: ts },
    { name: 'window_time', type: wt },
  ];
  const node: LogicalNode = {
    kind: 'windowTvf',
    input: input.node,
    timeIndex: timeField.index,
    window,
    eventTime: attr === 'rowtime',
    schema: { fields },
  };
  const qualifier = ref.alias?.name;
  const names = fields.map((f, i) => (i < input.fields.length ? input.fields[i]!.name : f.name));
  const cols = aliasColumns(names, ref.columnAliases, r.fail, ref.span);
  return {
    node,
    fields: cols.map((n, i) => ({
      qualifier: qualifier ?? (i < input.fields.length ? input.fields[i]!.qualifier : undefined),
      name: n,
      index: i,
      type: fields[i]!.type,
    })),
  };
}

export { tableSchema };
