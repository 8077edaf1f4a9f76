import { syntaxErrorLocation, transpileTypeScript } from './transpile.js';

/** A body that does not evaluate; `line`/`column` (1-based, within the body) say where, for syntax errors. */
export class InlineBodyError extends Error {
  override name = 'InlineBodyError';
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

/**
 * Evaluates the body of `CREATE FUNCTION f AS $$ ... $$ LANGUAGE JAVASCRIPT|TYPESCRIPT`. The body is an expression
 * that evaluates to a function or an aggregate object (`(price) => price % 100`, `function f(x) { ... }`,
 * `{ createAccumulator() {...}, accumulate(acc, x) {...}, getValue(acc) {...} }`), or statements that `return` one.
 * TypeScript is transpiled with esbuild first. The body sees only globals (no module scope). Throws an
 * {@link InlineBodyError} with the reason and, for a syntax error, its line and column within the body (the caller
 * adds the body's SQL position).
 */
export function evaluateInlineBody(body: string, language: 'JAVASCRIPT' | 'TYPESCRIPT'): unknown {
  // Leading space is kept so that positions of syntax errors count from the body's first character.
  const asExpression = `(${body.replace(/;\s*$/, '')}\n)`;
  try {
    const code =
      language === 'TYPESCRIPT'
        ? stripTrailingSemicolon(
            transpileTypeScript(`export default ${asExpression};`).replace(/^export default /m, 'return '),
          )
        : `return ${asExpression};`;
    return new Function(`"use strict";\n${code}`)();
  } catch (first) {
    // Not an expression: statements that return the function.
    try {
      const code =
        language === 'TYPESCRIPT' ? transpileTypeScript(`(function () {\n${body}\n})`) : `(function () {\n${body}\n})`;
      const value = new Function(`"use strict";\nreturn ${stripTrailingSemicolon(code)};`)() as () => unknown;
      const result = value();
      if (result !== undefined) return result;
    } catch {
      // The first error describes the usual shape (an expression) better.
    }
    throw located(first, language, asExpression);
  }
}

/** The first error, with the position of a syntax error counted within the body. */
function located(error: unknown, language: 'JAVASCRIPT' | 'TYPESCRIPT', asExpression: string): InlineBodyError {
  const message = error instanceof Error ? error.message : String(error);
  const prefix = language === 'TYPESCRIPT' ? 'export default (' : '(';
  const where =
    language === 'TYPESCRIPT'
      ? syntaxErrorLocation(error)
      : error instanceof SyntaxError
        ? syntaxErrorLocation(undefined, `${asExpression};`, 'js')
        : undefined;
  if (where === undefined) return new InlineBodyError(message);
  const column = where.line === 1 ? where.column - prefix.length : where.column;
  return new InlineBodyError(where.text, where.line, Math.max(1, column));
}

function stripTrailingSemicolon(code: string): string {
  return code.trim().replace(/;$/, '');
}
