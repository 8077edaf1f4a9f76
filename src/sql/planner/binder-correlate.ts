import { FunctionTypeError } from '../functions/function-catalog.js';
import type { Expression, LateralTableRef, Span, UnnestTableRef } from '../parser/ast.js';
import type { Rex } from '../plan/rex.js';
import { nearestName } from '../sql-error.js';
import { formatType, type RowField, type SqlType } from '../types/sql-type.js';
import type { BoundRelation, RelationResolver } from './binder-from.js';
import { Scope, type ScopeField } from './binder-scope.js';
import { type CorrelateGenerator, type LogicalNode, nullableType } from './logical-nodes.js';

/** The columns a generator yields: a user table function's ROW fields, or what UNNEST makes of its arguments. */
function generatedFields(
  ref: LateralTableRef | UnnestTableRef,
  args: readonly Rex[],
  r: RelationResolver,
): { generator: CorrelateGenerator; fields: RowField[] } {
  if (ref.kind === 'lateral') {
    const name = ref.call.name.parts.map((p) => p.name).join('.');
    const fn = r.functions.table(name);
    if (fn === undefined) {
      const scalar = r.functions.scalar(name) ?? r.functions.aggregate(name);
      if (scalar !== undefined)
        return r.fail(`Function '${name}' is not a table function (LATERAL TABLE needs a generator)`, ref.call.span);
      const near = nearestName(name, r.functions.names());
      return r.fail(
        `No match found for function signature ${name}(${args.map((a) => formatType(a.type)).join(', ')})`,
        ref.call.span,
        near === undefined ? undefined : `Did you mean '${near}'?`,
      );
    }
    let type: SqlType & { kind: 'ROW' };
    try {
      type = fn.inferType(
        args.map((a) => a.type),
        ref.call.span,
      );
    } catch (e) {
      if (e instanceof FunctionTypeError) return r.fail(e.message, ref.call.span);
      throw e;
    }
    return { generator: { kind: 'table', function: name, args }, fields: [...type.fields] };
  }
  const fields: RowField[] = [];
  for (const [i, a] of args.entries()) {
    const t = a.type;
    if (t.kind === 'ARRAY' || t.kind === 'MULTISET') {
      // An array of rows unnests into the row's fields, as Flink (Calcite) does.
      if (t.element.kind === 'ROW') fields.push(...t.element.fields);
      else fields.push({ name: args.length === 1 ? 'EXPR$0' : `EXPR$${i}`, type: t.element });
    } else if (t.kind === 'MAP') {
      fields.push({ name: 'KEY', type: t.key }, { name: 'VALUE', type: t.value });
    } else {
      return r.fail(`UNNEST needs an ARRAY, MAP or MULTISET argument, got ${formatType(t)}`, ref.expressions[i]!.span);
    }
  }
  if (ref.withOrdinality) fields.push({ name: 'ORDINALITY', type: { kind: 'INT', nullable: false } });
  return { generator: { kind: 'unnest', args, withOrdinality: ref.withOrdinality }, fields };
}

/**
 * Binds `left, LATERAL TABLE(f(...)) AS t (x, y)`, `left CROSS JOIN UNNEST(arr) AS t (x)` and `left LEFT JOIN
 * LATERAL TABLE(...) ON TRUE`: the generator's arguments see the left side's columns; the result is a Correlate.
 * Without a left side (`FROM UNNEST(ARRAY[1, 2])`), the generator runs once over a single empty row.
 */
export function bindCorrelate(
  left: BoundRelation | undefined,
  ref: LateralTableRef | UnnestTableRef,
  joinType: 'INNER' | 'LEFT',
  on: Expression | undefined,
  span: Span,
  r: RelationResolver,
): BoundRelation {
  const input: LogicalNode = left?.node ?? { kind: 'values', rows: [[]], schema: { fields: [] } };
  const leftFields = left?.fields ?? [];
  const scope = new Scope(leftFields);
  const exprs = ref.kind === 'lateral' ? ref.call.args : ref.expressions;
  const args = exprs.map((e) => r.binder.bind(e, { scope }));
  const { generator, fields: generated } = generatedFields(ref, args, r);
  const aliases = ref.columnAliases;
  if (aliases !== undefined && aliases.length !== generated.length) {
    return r.fail(
      `List of column aliases must have same degree as table; the ${ref.kind === 'lateral' ? 'table function' : 'UNNEST'} returns ${generated.length} column${generated.length === 1 ? '' : 's'}, aliases list has ${aliases.length}`,
      ref.span,
    );
  }
  const names = generated.map((f, i) => aliases?.[i]?.name ?? f.name);
  const width = input.schema.fields.length;
  const padded = generated.map((f, i) => ({
    name: names[i]!,
    type: joinType === 'LEFT' ? nullableType(f.type) : f.type,
  }));
  const qualifier = ref.alias?.name;
  const fields: ScopeField[] = [
    ...leftFields,
    ...padded.map((f, i) => ({ qualifier, name: f.name, index: width + i, type: f.type })),
  ];
  let condition: Rex | undefined;
  if (on !== undefined) {
    condition = r.binder.bind(on, { scope: new Scope(fields) });
    if (condition.kind === 'literal' && condition.value === true) condition = undefined;
  }
  const node: LogicalNode = {
    kind: 'correlate',
    input,
    generator,
    joinType,
    ...(condition === undefined ? {} : { condition }),
    span,
    schema: { fields: [...input.schema.fields, ...padded] },
  };
  return { node, fields };
}
