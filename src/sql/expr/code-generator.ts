import { PlanError } from '../../core/errors.js';
import type { CallableScalarFunction } from '../functions/builtins/builtin-function.js';
import type { FunctionCatalog } from '../functions/function-catalog.js';
import type { Rex, RexCall } from '../plan/rex.js';
import { CastError, castFunction } from '../types/cast.js';
import { formatType, type SqlType } from '../types/sql-type.js';
import { isCharacter, isInteger, isNumeric, isTimestamp } from '../types/type-factory.js';
import type { CallSite } from './expression-error.js';
import { like as likeRegex, similar as similarRegex } from './runtime-helpers.js';

/**
 * Turns Rex trees into the statements of one JavaScript function body. Each sub-expression becomes a `const` (or a
 * plain operand text for columns and literals); short-circuiting forms (AND, OR, CASE, COALESCE, IF) open blocks so
 * later operands run only when needed. Values the code needs — constants, function implementations, call sites —
 * are collected in arrays passed to `new Function` as K, F and S. Before each call that can fail, the code stores
 * the call site number in `s`, so one catch around the body can name the failing function.
 */
export class CodeGenerator {
  readonly constants: unknown[] = [];
  readonly functions: unknown[] = [];
  readonly sites: CallSite[] = [];
  private readonly lines: string[] = [];
  private vars = 0;

  constructor(
    private readonly catalog: FunctionCatalog,
    /** Operand text for input column `index`. */
    private readonly input: (index: number) => string,
  ) {}

  /** The generated statements so far. */
  body(): string {
    return this.lines.join('\n');
  }

  /** Emits code computing `rex`; returns the operand text holding its value. */
  generate(rex: Rex): string {
    switch (rex.kind) {
      case 'input':
        return this.input(rex.index);
      case 'literal':
        return this.literal(rex.value);
      case 'field': {
        const e = this.generate(rex.expression);
        return this.assign(`${e} === null ? null : (${e}[${rex.index}] ?? null)`);
      }
      case 'correlated':
        throw new PlanError('A correlated reference reached the expression compiler: the planner must decorrelate it');
      case 'call':
        return this.call(rex);
    }
  }

  private emit(line: string): void {
    this.lines.push(line);
  }

  private fresh(): string {
    return `v${this.vars++}`;
  }

  private assign(expression: string): string {
    const v = this.fresh();
    this.emit(`const ${v} = ${expression};`);
    return v;
  }

  /** Operand text for a constant: inline for plain numbers, booleans, null and short strings, else K[i]. */
  literal(value: unknown): string {
    if (value === null || value === undefined) return 'null';
    if (typeof value === 'boolean') return String(value);
    if (typeof value === 'number' && Number.isFinite(value) && !Object.is(value, -0)) return String(value);
    if (typeof value === 'string' && value.length < 200) return JSON.stringify(value);
    return this.constant(value);
  }

  private constant(value: unknown): string {
    this.constants.push(value);
    return `K[${this.constants.length - 1}]`;
  }

  private fn(f: unknown): string {
    this.functions.push(f);
    return `F[${this.functions.length - 1}]`;
  }

  private site(call: RexCall, name = call.name): number {
    this.sites.push(call.span === undefined ? { name } : { name, span: call.span });
    return this.sites.length - 1;
  }

  /**
   * `a === null || b === null` for the operands that can be NULL at run time, or undefined when none can. Columns and
   * computed values are always checked (a NOT NULL declaration of a source is not a promise about its data); only
   * non-NULL constants are not.
   */
  private nullCheck(operands: readonly string[], _types: readonly SqlType[]): string | undefined {
    const checks = operands
      .filter((o) => o === 'null' || /^(v\d|row\[|left\[|right\[)/.test(o))
      .map((o) => `${o} === null`);
    return checks.length === 0 ? undefined : checks.join(' || ');
  }

  private strict(operands: readonly string[], types: readonly SqlType[], expression: string): string {
    const check = this.nullCheck(operands, types);
    return this.assign(check === undefined ? expression : `(${check}) ? null : ${expression}`);
  }

  private call(call: RexCall): string {
    const name = call.udf === true ? call.name : call.name.toUpperCase();
    const args = call.args;
    const types = args.map((a) => a.type);
    switch (name) {
      case 'AND':
      case 'OR':
        return this.logical(name, args);
      case 'NOT': {
        const a = this.generate(args[0] as Rex);
        return this.assign(`${a} === null ? null : !${a}`);
      }
      case 'IS NULL':
        return this.assign(`${this.generate(args[0] as Rex)} === null`);
      case 'IS NOT NULL':
        return this.assign(`${this.generate(args[0] as Rex)} !== null`);
      case 'IS TRUE':
        return this.assign(`${this.generate(args[0] as Rex)} === true`);
      case 'IS NOT TRUE':
        return this.assign(`${this.generate(args[0] as Rex)} !== true`);
      case 'IS FALSE':
        return this.assign(`${this.generate(args[0] as Rex)} === false`);
      case 'IS NOT FALSE':
        return this.assign(`${this.generate(args[0] as Rex)} !== false`);
      case 'IS UNKNOWN':
        return this.assign(`${this.generate(args[0] as Rex)} === null`);
      case 'IS NOT UNKNOWN':
        return this.assign(`${this.generate(args[0] as Rex)} !== null`);
      case 'IS DISTINCT FROM':
      case 'IS NOT DISTINCT FROM': {
        const [a, b] = this.operands(args);
        const same = `(${a} === null ? ${b} === null : ${b} !== null && ${this.equals(a as string, b as string, types)})`;
        return this.assign(name === 'IS DISTINCT FROM' ? `!${same}` : same);
      }
      case '=':
      case '<>':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return this.comparison(name, args);
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
        return args.length === 1 ? this.unary(name, args[0] as Rex, call.type) : this.arithmetic(call, name);
      case 'MOD':
        return this.arithmetic(call, '%');
      case '||': {
        const ops = this.operands(args);
        return this.strict(ops, types, ops.join(' + '));
      }
      case 'CASE':
        return this.caseWhen(args);
      case 'COALESCE':
      case 'IFNULL':
        return this.coalesce(args);
      case 'IF':
        return this.caseWhen(args);
      case 'CAST':
      case 'TRY_CAST':
        return this.cast(call, name === 'TRY_CAST');
      case 'IN':
        return this.inList(args);
      case 'NOT IN': {
        const v = this.inList(args);
        return this.assign(`${v} === null ? null : !${v}`);
      }
      case 'LIKE':
      case 'NOT LIKE':
      case 'SIMILAR TO':
      case 'NOT SIMILAR TO':
        return this.like(call, name);
      case 'ITEM':
        return this.item(args);
      case 'ROW':
      case 'ARRAY':
        return this.assign(`[${this.operands(args).join(', ')}]`);
      case 'MAP': {
        const ops = this.operands(args);
        const pairs = [];
        for (let i = 0; i < ops.length; i += 2) pairs.push(`[${ops[i]}, ${ops[i + 1]}]`);
        return this.assign(`new Map([${pairs.join(', ')}])`);
      }
      default:
        return this.functionCall(call, name);
    }
  }

  private operands(args: readonly Rex[]): string[] {
    return args.map((a) => this.generate(a));
  }

  private logical(name: 'AND' | 'OR', args: readonly Rex[]): string {
    const stop = name === 'AND' ? 'false' : 'true';
    const r = this.fresh();
    this.emit(`let ${r} = ${this.generate(args[0] as Rex)};`);
    for (let i = 1; i < args.length; i++) {
      this.emit(`if (${r} !== ${stop}) {`);
      const b = this.generate(args[i] as Rex);
      this.emit(
        `${r} = ${b} === ${stop} ? ${stop} : (${r} === null || ${b} === null) ? null : ${name === 'AND' ? 'true' : 'false'};`,
      );
      this.emit('}');
    }
    return r;
  }

  private isSimple(type: SqlType): boolean {
    return (
      isNumeric(type) ||
      isCharacter(type) ||
      type.kind === 'BOOLEAN' ||
      type.kind === 'DATE' ||
      type.kind === 'TIME' ||
      isTimestamp(type) ||
      type.kind === 'INTERVAL_DAY_TIME' ||
      type.kind === 'INTERVAL_YEAR_MONTH' ||
      type.kind === 'NULL'
    );
  }

  private equals(a: string, b: string, types: readonly SqlType[]): string {
    return types.every((t) => this.isSimple(t)) ? `${a} === ${b}` : `H.eq(${a}, ${b})`;
  }

  /** Operands of a comparison with DATE meeting TIMESTAMP brought to milliseconds. */
  private comparable(args: readonly Rex[]): string[] {
    const [ta, tb] = args.map((a) => a.type) as [SqlType, SqlType];
    const ops = this.operands(args);
    if (ta.kind === 'DATE' && isTimestamp(tb)) ops[0] = this.assign(`${ops[0]} === null ? null : ${ops[0]} * 86400000`);
    if (tb.kind === 'DATE' && isTimestamp(ta)) ops[1] = this.assign(`${ops[1]} === null ? null : ${ops[1]} * 86400000`);
    return ops;
  }

  private comparison(op: string, args: readonly Rex[]): string {
    const types = args.map((a) => a.type);
    const [a, b] = this.comparable(args) as [string, string];
    let expression: string;
    if (op === '=') expression = this.equals(a, b, types);
    else if (op === '<>') expression = `!(${this.equals(a, b, types)})`;
    else if (types.every((t) => this.isSimple(t))) expression = `${a} ${op} ${b}`;
    else expression = `H.cmp(${a}, ${b}) ${op} 0`;
    return this.strict([a, b], types, expression);
  }

  private unary(op: string, arg: Rex, type: SqlType): string {
    const a = this.generate(arg);
    if (op === '+') return a;
    return this.strict([a], [arg.type], type.kind === 'INT' ? `(-${a}) | 0` : `-${a}`);
  }

  private wrapInteger(type: SqlType, expression: string): string {
    switch (type.kind) {
      case 'INT':
        return `(${expression}) | 0`;
      case 'SMALLINT':
        return `((${expression}) << 16) >> 16`;
      case 'TINYINT':
        return `((${expression}) << 24) >> 24`;
      case 'FLOAT':
        return `Math.fround(${expression})`;
      case 'DECIMAL':
        return `H.round(${expression}, ${type.scale})`;
      default:
        return expression;
    }
  }

  private arithmetic(call: RexCall, op: string): string {
    const [ra, rb] = call.args as [Rex, Rex];
    const type = call.type;
    const [a, b] = this.operands([ra, rb]) as [string, string];
    const types = [ra.type, rb.type];
    const ta = ra.type;
    const tb = rb.type;
    const ym = (t: SqlType) => t.kind === 'INTERVAL_YEAR_MONTH';
    const dt = (t: SqlType) => t.kind === 'INTERVAL_DAY_TIME';
    const sign = op === '-' ? '-' : '';
    // Datetime ± interval keeps the datetime's representation (DATE in days, TIME in ms of the day).
    const datetime = type.kind === 'DATE' || type.kind === 'TIME' || isTimestamp(type);
    if (datetime && (op === '+' || op === '-')) {
      const [d, i, it] = ym(tb) || dt(tb) ? [a, b, tb] : [b, a, ta];
      const n = `${sign}${i}`;
      let expression: string;
      if (ym(it)) expression = type.kind === 'DATE' ? `H.addMonthsToDate(${d}, ${n})` : `H.addMonths(${d}, ${n})`;
      else if (type.kind === 'DATE') expression = `${d} + Math.trunc(${n} / 86400000)`;
      else if (type.kind === 'TIME') expression = `H.addToTime(${d}, ${n})`;
      else expression = `${d} + ${n}`;
      return this.strict([a, b], types, expression);
    }
    const s = this.site(call, op === '%' ? 'MOD' : op);
    const integer = isInteger(type) || ((dt(type) || ym(type)) && op === '/');
    let expression: string;
    if (op === '/' && integer) expression = `(s = ${s}, H.idiv(${a}, ${b}))`;
    else if (op === '%' && integer) expression = `(s = ${s}, H.imod(${a}, ${b}))`;
    else if (op === '/' && type.kind === 'DECIMAL') expression = `(s = ${s}, H.ddiv(${a}, ${b}, ${type.scale}))`;
    else if (op === '*' && type.kind === 'INT') expression = `Math.imul(${a}, ${b})`;
    else expression = this.wrapInteger(type, `${a} ${op} ${b}`);
    return this.strict([a, b], types, expression);
  }

  /** CASE [when, then]* else, also IF(cond, a, b): the first TRUE condition's value, branches evaluated lazily. */
  private caseWhen(args: readonly Rex[]): string {
    const r = this.fresh();
    this.emit(`let ${r};`);
    let open = 0;
    for (let i = 0; i + 1 < args.length; i += 2) {
      const c = this.generate(args[i] as Rex);
      this.emit(`if (${c} === true) {`);
      this.emit(`${r} = ${this.generate(args[i + 1] as Rex)};`);
      this.emit('} else {');
      open++;
    }
    this.emit(`${r} = ${args.length % 2 === 1 ? this.generate(args[args.length - 1] as Rex) : 'null'};`);
    this.emit('}'.repeat(open));
    return r;
  }

  private coalesce(args: readonly Rex[]): string {
    const r = this.fresh();
    this.emit(`let ${r} = ${this.generate(args[0] as Rex)};`);
    for (let i = 1; i < args.length; i++) {
      this.emit(`if (${r} === null) {`);
      this.emit(`${r} = ${this.generate(args[i] as Rex)};`);
    }
    this.emit('}'.repeat(args.length - 1));
    return r;
  }

  private cast(call: RexCall, tryCast: boolean): string {
    const arg = call.args[0] as Rex;
    const from = arg.type;
    const to = call.type;
    const a = this.generate(arg);
    let convert: (v: unknown) => unknown;
    try {
      convert = castFunction(from, to);
    } catch (e) {
      if (!(e instanceof CastError)) throw e;
      const at = call.span === undefined ? '' : ` (line ${call.span.line}, column ${call.span.column})`;
      throw new PlanError(`${e.message}: CAST(${formatType(from)} AS ${formatType(to)}) is not supported${at}`);
    }
    if (sameRepresentation(from, to)) return a;
    const f = this.fn(convert);
    if (!tryCast) return this.strict([a], [from], `(s = ${this.site(call, 'CAST')}, ${f}(${a}))`);
    const r = this.fresh();
    this.emit(`let ${r} = null;`);
    this.emit(`if (${a} !== null) { try { ${r} = ${f}(${a}); } catch { ${r} = null; } }`);
    return r;
  }

  private inList(args: readonly Rex[]): string {
    const value = args[0] as Rex;
    const items = args.slice(1);
    const v = this.generate(value);
    const simple = [value, ...items].every((a) => this.isSimple(a.type));
    if (simple && items.every((i) => i.kind === 'literal')) {
      const values = items.map((i) => (i as { value: unknown }).value);
      const set = this.constant(new Set(values.filter((x) => x !== null)));
      const miss = values.includes(null) ? 'null' : 'false';
      return this.assign(`${v} === null ? null : ${set}.has(${v}) ? true : ${miss}`);
    }
    const r = this.fresh();
    this.emit(`let ${r} = false;`);
    this.emit(`if (${v} === null) { ${r} = null; } else {`);
    for (const item of items) {
      this.emit(`if (${r} !== true) {`);
      const x = this.generate(item);
      this.emit(`if (${x} === null) ${r} = null; else if (${this.equals(v, x, [value.type, item.type])}) ${r} = true;`);
      this.emit('}');
    }
    this.emit('}');
    return r;
  }

  private like(call: RexCall, name: string): string {
    const [s, pattern, escapeArg] = call.args as [Rex, Rex, Rex | undefined];
    const negate = name.startsWith('NOT ');
    const helper = name.endsWith('LIKE') ? 'H.like' : 'H.similar';
    const text = this.generate(s);
    const site = this.site(call, name);
    let re: string;
    if (pattern.kind === 'literal' && (escapeArg === undefined || escapeArg.kind === 'literal')) {
      if (pattern.value === null) return 'null';
      const compile = name.endsWith('LIKE') ? likeRegex : similarRegex;
      const escapeArgValue = escapeArg === undefined ? undefined : (escapeArg as { value: string | null }).value;
      try {
        re = this.constant(compile(pattern.value as string, escapeArgValue));
      } catch (e) {
        const at = call.span === undefined ? '' : ` at line ${call.span.line}, column ${call.span.column}`;
        throw new PlanError(`${name}${at}: ${(e as Error).message}`);
      }
    } else {
      const p = this.generate(pattern);
      const e = escapeArg === undefined ? 'undefined' : this.generate(escapeArg);
      re = this.assign(`${p} === null ? null : (s = ${site}, ${helper}(${p}, ${e}))`);
    }
    const test = `${re}.test(${text})`;
    return this.assign(`${text} === null || ${re} === null ? null : ${negate ? `!${test}` : test}`);
  }

  private item(args: readonly Rex[]): string {
    const [c, k] = args as [Rex, Rex];
    const container = this.generate(c);
    const key = this.generate(k);
    const access =
      c.type.kind === 'MAP'
        ? `(${container}.get(${key}) ?? null)`
        : c.type.kind === 'ARRAY'
          ? `(${container}[${key} - 1] ?? null)`
          : `(${container} instanceof Map ? (${container}.get(${key}) ?? null) : (${container}[${key} - 1] ?? null))`;
    return this.assign(`${container} === null || ${key} === null ? null : ${access}`);
  }

  private functionCall(call: RexCall, name: string): string {
    const definition = this.catalog.scalar(call.name) as CallableScalarFunction | undefined;
    if (definition === undefined) {
      throw new PlanError(`Unknown function ${call.name} reached the expression compiler`);
    }
    if (definition.async === true) {
      throw new PlanError(
        `Async function ${call.name} cannot be evaluated inside an expression: the planner evaluates it on the async I/O operator`,
      );
    }
    if (typeof definition.implement !== 'function') {
      throw new PlanError(`Function ${call.name} has no implementation the expression compiler can call`);
    }
    const types = call.args.map((a) => a.type);
    const implementation = definition.implement(types, call.type);
    const f = this.fn(implementation);
    const ops = this.operands(call.args);
    const invoke = `(s = ${this.site(call, definition.name ?? name)}, ${f}(${ops.join(', ')}))`;
    return definition.strict ? this.strict(ops, types, invoke) : this.assign(invoke);
  }
}

/** True when a CAST needs no code: the run-time values are the same (length limits aside, handled by the cast). */
function sameRepresentation(from: SqlType, to: SqlType): boolean {
  if (from.kind !== to.kind) {
    return (isInteger(from) && to.kind === 'BIGINT') || from.kind === 'NULL';
  }
  switch (to.kind) {
    case 'DECIMAL':
      return (
        from.kind === 'DECIMAL' && from.scale <= to.scale && from.precision - from.scale <= to.precision - to.scale
      );
    case 'CHAR':
      return from.kind === 'CHAR' && from.length === to.length;
    case 'VARCHAR':
      return (from as { length: number }).length <= to.length;
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
    case 'TIME':
      return (from as { precision: number }).precision <= to.precision || to.precision >= 3;
    case 'ROW':
    case 'ARRAY':
    case 'MAP':
    case 'MULTISET':
      return false;
    default:
      return true;
  }
}
