import type { Expression, FrameBound, Identifier, OrderItem, QualifiedName, TypeName, WindowSpec } from './ast.js';
import { RESERVED } from './keywords.js';

/**
 * Prints an expression as SQL with every operator application in parentheses, so the text shows how it was
 * parsed: `a + b * c` prints as `(a + (b * c))`. Parsing the result gives the same tree (spans aside), except for
 * subqueries, which print as `(<subquery>)`. Desugared special forms print in their own syntax again
 * (`EXTRACT(HOUR FROM ts)`, `TRIM(BOTH ' ' FROM s)`, `CEIL(ts TO HOUR)`).
 */
export function formatExpression(e: Expression): string {
  switch (e.kind) {
    case 'columnRef':
      return formatName(e.name);
    case 'literal':
      switch (e.type) {
        case 'string':
          return quote(e.value);
        case 'date':
        case 'time':
        case 'timestamp':
          return `${e.type.toUpperCase()} ${quote(e.value)}`;
        case 'binary':
          return `X'${e.value}'`;
        default:
          return e.value;
      }
    case 'interval':
      return `INTERVAL ${e.negative ? '-' : ''}${quote(e.value)} ${e.from}${e.to === undefined ? '' : ` TO ${e.to}`}`;
    case 'binary':
      return `(${formatExpression(e.left)} ${e.operator} ${formatExpression(e.right)})`;
    case 'unary':
      return e.operator === 'NOT'
        ? `(NOT ${formatExpression(e.operand)})`
        : `(${e.operator}${formatExpression(e.operand)})`;
    case 'call':
      return formatCall(e);
    case 'case': {
      const parts = ['CASE'];
      if (e.operand !== undefined) parts.push(formatExpression(e.operand));
      for (const w of e.whens) parts.push(`WHEN ${formatExpression(w.when)} THEN ${formatExpression(w.then)}`);
      if (e.else !== undefined) parts.push(`ELSE ${formatExpression(e.else)}`);
      parts.push('END');
      return parts.join(' ');
    }
    case 'cast':
      return `${e.try ? 'TRY_CAST' : 'CAST'}(${formatExpression(e.expression)} AS ${formatType(e.type)})`;
    case 'between':
      return `(${formatExpression(e.expression)} ${e.negated ? 'NOT ' : ''}BETWEEN ${e.symmetric ? 'SYMMETRIC ' : ''}${formatExpression(e.low)} AND ${formatExpression(e.high)})`;
    case 'inList':
      return `(${formatExpression(e.expression)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map(formatExpression).join(', ')}))`;
    case 'inSubquery':
      return `(${formatExpression(e.expression)} ${e.negated ? 'NOT ' : ''}IN (<subquery>))`;
    case 'exists':
      return `(${e.negated ? 'NOT ' : ''}EXISTS (<subquery>))`;
    case 'scalarSubquery':
      return '(<subquery>)';
    case 'is':
      return `(${formatExpression(e.expression)} IS ${e.negated ? 'NOT ' : ''}${e.test})`;
    case 'like': {
      const escapeText = e.escape === undefined ? '' : ` ESCAPE ${formatExpression(e.escape)}`;
      const negation = e.negated ? 'NOT ' : '';
      return `(${formatExpression(e.expression)} ${negation}${e.operator} ${formatExpression(e.pattern)}${escapeText})`;
    }
    case 'fieldAccess':
      return `(${formatExpression(e.expression)}).${formatIdentifier(e.field)}`;
    case 'item':
      return `(${formatExpression(e.expression)})[${formatExpression(e.index)}]`;
    case 'row':
      return `ROW(${e.fields.map(formatExpression).join(', ')})`;
    case 'array':
      return `ARRAY[${e.elements.map(formatExpression).join(', ')}]`;
    case 'map':
      return `MAP[${e.entries.map((x) => `${formatExpression(x.key)}, ${formatExpression(x.value)}`).join(', ')}]`;
    case 'star':
      return e.qualifier === undefined ? '*' : `${formatName(e.qualifier)}.*`;
    case 'timeFunction':
      return e.name;
  }
}

function formatCall(e: Expression & { kind: 'call' }): string {
  // Reserved words that are function names (LEFT, RIGHT) print bare, as they were written.
  const only = e.name.parts.length === 1 ? e.name.parts[0] : undefined;
  const name =
    only !== undefined && !only.quoted && /^[A-Za-z_][A-Za-z0-9_]*$/.test(only.name) ? only.name : formatName(e.name);
  const upper = e.name.parts.length === 1 ? name.toUpperCase() : '';
  const args = e.args.map(formatExpression);
  const unit = (arg: Expression | undefined): string | undefined =>
    arg?.kind === 'literal' && arg.type === 'string' && /^[A-Z_]+$/.test(arg.value) ? arg.value : undefined;
  let text: string | undefined;
  if (upper === 'EXTRACT' && args.length === 2 && unit(e.args[0]) !== undefined) {
    text = `EXTRACT(${unit(e.args[0])} FROM ${args[1]})`;
  } else if (upper === 'POSITION' && args.length >= 2) {
    text = `POSITION(${args[0]} IN ${args[1]}${args[2] === undefined ? '' : ` FROM ${args[2]}`})`;
  } else if (upper === 'TRIM' && args.length === 3 && unit(e.args[0]) !== undefined) {
    text = `TRIM(${unit(e.args[0])} ${args[1]} FROM ${args[2]})`;
  } else if ((upper === 'CEIL' || upper === 'CEILING' || upper === 'FLOOR') && args.length === 2 && unit(e.args[1])) {
    text = `${upper}(${args[0]} TO ${unit(e.args[1])})`;
  } else if ((upper === 'TIMESTAMPADD' || upper === 'TIMESTAMPDIFF') && unit(e.args[0]) !== undefined) {
    text = `${upper}(${[unit(e.args[0]), ...args.slice(1)].join(', ')})`;
  } else if (upper === 'OVERLAY' && args.length >= 3) {
    text = `OVERLAY(${args[0]} PLACING ${args[1]} FROM ${args[2]}${args[3] === undefined ? '' : ` FOR ${args[3]}`})`;
  } else {
    text = `${name}(${e.distinct ? 'DISTINCT ' : ''}${args.join(', ')})`;
  }
  if (e.filter !== undefined) text += ` FILTER (WHERE ${formatExpression(e.filter)})`;
  if (e.over !== undefined)
    text += ` OVER ${e.over.kind === 'identifier' ? formatIdentifier(e.over) : formatWindowSpec(e.over)}`;
  return text;
}

/** `(PARTITION BY ... ORDER BY ... ROWS BETWEEN ... AND ...)`. */
export function formatWindowSpec(w: WindowSpec): string {
  const parts: string[] = [];
  if (w.partitionBy.length > 0) parts.push(`PARTITION BY ${w.partitionBy.map(formatExpression).join(', ')}`);
  if (w.orderBy.length > 0) parts.push(`ORDER BY ${w.orderBy.map(formatOrderItem).join(', ')}`);
  if (w.frame !== undefined) {
    const { unit, start, end } = w.frame;
    parts.push(end === undefined ? `${unit} ${bound(start)}` : `${unit} BETWEEN ${bound(start)} AND ${bound(end)}`);
  }
  return `(${parts.join(' ')})`;
}

/** `expr [DESC] [NULLS FIRST|LAST]`. */
export function formatOrderItem(o: OrderItem): string {
  const nulls = o.nullsFirst === undefined ? '' : o.nullsFirst ? ' NULLS FIRST' : ' NULLS LAST';
  return `${formatExpression(o.expression)}${o.descending ? ' DESC' : ''}${nulls}`;
}

function bound(b: FrameBound): string {
  switch (b.kind) {
    case 'unboundedPreceding':
      return 'UNBOUNDED PRECEDING';
    case 'unboundedFollowing':
      return 'UNBOUNDED FOLLOWING';
    case 'currentRow':
      return 'CURRENT ROW';
    case 'preceding':
      return `${formatExpression(b.offset)} PRECEDING`;
    case 'following':
      return `${formatExpression(b.offset)} FOLLOWING`;
  }
}

/** Prints a type as Flink writes it: `ROW<a INT, b STRING>`, `DECIMAL(10, 2) NOT NULL`, `TIMESTAMP_LTZ(3)`. */
export function formatType(t: TypeName): string {
  let text: string;
  switch (t.kind) {
    case 'simpleType':
      text = t.args.length === 0 ? t.name : `${t.name}(${t.args.join(', ')})`;
      break;
    case 'rowType':
      text = `ROW<${t.fields
        .map(
          (f) =>
            `${formatIdentifier(f.name)} ${formatType(f.type)}${f.comment === undefined ? '' : ` COMMENT ${quote(f.comment)}`}`,
        )
        .join(', ')}>`;
      break;
    case 'arrayType':
      text = `ARRAY<${formatType(t.element)}>`;
      break;
    case 'multisetType':
      text = `MULTISET<${formatType(t.element)}>`;
      break;
    case 'mapType':
      text = `MAP<${formatType(t.key)}, ${formatType(t.value)}>`;
      break;
    case 'intervalType':
      text = `INTERVAL ${t.from}${t.to === undefined ? '' : ` TO ${t.to}`}`;
      break;
  }
  return t.nullable ? text : `${text} NOT NULL`;
}

/** A name as written: backquoted when it was (or must be), parts joined by dots. */
export function formatName(name: QualifiedName): string {
  return name.parts.map(formatIdentifier).join('.');
}

function formatIdentifier(id: Identifier): string {
  const plain = !id.quoted && /^[A-Za-z_][A-Za-z0-9_]*$/.test(id.name) && !RESERVED.has(id.name.toUpperCase());
  return plain ? id.name : `\`${id.name.replaceAll('`', '``')}\``;
}

function quote(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
