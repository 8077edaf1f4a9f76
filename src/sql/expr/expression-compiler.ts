import type { CallableScalarFunction } from '../functions/builtins/builtin-function.js';
import type { ExpressionCompiler, FunctionCatalog } from '../functions/function-catalog.js';
import type { Rex, RexCall, RexLiteral } from '../plan/rex.js';
import { COLUMN_OFFSET } from '../runtime/row.js';
import { CodeGenerator } from './code-generator.js';
import { type CallSite, SqlExpressionError, summarizeRow } from './expression-error.js';
import { RUNTIME_HELPERS } from './runtime-helpers.js';

/**
 * The expression compiler: each projection, predicate or scalar becomes ONE JavaScript function generated with
 * `new Function`, so rows are never interpreted. Deterministic built-in calls over constants are folded first.
 * A function or operator that fails at run time throws {@link SqlExpressionError} naming the function, its SQL
 * line and column, the `description` the caller gave (operator name) and the row.
 */
export function createExpressionCompiler(catalog: FunctionCatalog): ExpressionCompiler {
  const column = (index: number) => `row[${index + COLUMN_OFFSET}]`;

  function build<T>(
    parameters: string,
    description: string,
    input: (index: number) => string,
    generate: (g: CodeGenerator) => string,
    errorRow: string,
  ): T {
    const generator = new CodeGenerator(catalog, input);
    const result = generate(generator);
    const source = `return function compiled(${parameters}) {\n  let s = -1;\n  try {\n${generator.body()}\n${result}\n  } catch (e) {\n    throw fail(s, ${errorRow}, e);\n  }\n};`;
    const sites = generator.sites;
    const fail = (site: number, row: unknown, e: unknown): unknown => {
      if (e instanceof SqlExpressionError) return e;
      const summary =
        Array.isArray(row) && Array.isArray(row[0]) ? row.map(summarizeRow).join(' / ') : summarizeRow(row);
      return new SqlExpressionError(sites[site] as CallSite | undefined, description, summary, e);
    };
    const factory = new Function('K', 'F', 'H', 'fail', source) as (...a: unknown[]) => T;
    return factory(generator.constants, generator.functions, RUNTIME_HELPERS, fail);
  }

  const fold = (rex: Rex) => foldConstants(rex, catalog, evaluateConstant);

  function evaluateConstant(rex: Rex): { value: unknown } | undefined {
    try {
      const f = build<(row: unknown[]) => unknown>(
        'row',
        'constant',
        column,
        (g) => `return ${g.generate(rex)};`,
        'row',
      );
      return { value: f([0]) };
    } catch {
      return undefined;
    }
  }

  return {
    projection(exprs, description) {
      const folded = exprs.map(fold);
      return build(
        'row',
        description,
        column,
        (g) => {
          const values = folded.map((e) => g.generate(e));
          return `return [row[0], ${values.join(', ')}];`;
        },
        'row',
      );
    },
    predicate(condition, description) {
      const folded = fold(condition);
      return build('row', description, column, (g) => `return ${g.generate(folded)} === true;`, 'row');
    },
    joinPredicate(condition, leftWidth, description) {
      const folded = fold(condition);
      const input = (i: number) =>
        i < leftWidth ? `left[${i + COLUMN_OFFSET}]` : `right[${i - leftWidth + COLUMN_OFFSET}]`;
      return build('left, right', description, input, (g) => `return ${g.generate(folded)} === true;`, '[left, right]');
    },
    scalar(expr, description) {
      const folded = fold(expr);
      return build('row', description, column, (g) => `return ${g.generate(folded)};`, 'row');
    },
  };
}

const NEVER_FOLDED = new Set(['ROW', 'ARRAY', 'MAP']);

/**
 * Replaces deterministic built-in calls whose arguments are all constants by their value. A call that fails on
 * its constants is left in place, so the error surfaces (with the row) when the expression runs.
 */
export function foldConstants(
  rex: Rex,
  catalog: FunctionCatalog,
  evaluate: (rex: Rex) => { value: unknown } | undefined,
): Rex {
  if (rex.kind === 'field') {
    const expression = foldConstants(rex.expression, catalog, evaluate);
    return expression === rex.expression ? rex : { ...rex, expression };
  }
  if (rex.kind !== 'call') return rex;
  const args = rex.args.map((a) => foldConstants(a, catalog, evaluate));
  const call: RexCall = args.every((a, i) => a === rex.args[i]) ? rex : { ...rex, args };
  if (call.udf === true || NEVER_FOLDED.has(call.name.toUpperCase())) return call;
  if (!args.every((a) => a.kind === 'literal')) return call;
  const definition = catalog.scalar(call.name) as CallableScalarFunction | undefined;
  if (definition !== undefined && !definition.deterministic) return call;
  const result = evaluate(call);
  if (result === undefined) return call;
  const literal: RexLiteral = { kind: 'literal', value: result.value, type: call.type };
  return literal;
}
