import { transpileTypeScript } from './transpile.js';

/**
 * Evaluates the body of `CREATE FUNCTION f AS $$ ... $$ LANGUAGE JAVASCRIPT|TYPESCRIPT`. The body is an expression
 * that evaluates to a function or an aggregate object (`(price) => price % 100`, `function f(x) { ... }`,
 * `{ createAccumulator() {...}, accumulate(acc, x) {...}, getValue(acc) {...} }`), or statements that `return` one.
 * TypeScript is transpiled with esbuild first. The body sees only globals (no module scope). Throws an Error
 * with the reason (a syntax error's message names the problem; the caller adds the SQL position).
 */
export function evaluateInlineBody(body: string, language: 'JAVASCRIPT' | 'TYPESCRIPT'): unknown {
  const asExpression = `(${body.trim().replace(/;\s*$/, '')}\n)`;
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
    throw first;
  }
}

function stripTrailingSemicolon(code: string): string {
  return code.trim().replace(/;$/, '');
}
