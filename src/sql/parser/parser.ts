/**
 * Sluice's SQL parser (Flink's dialect): hand-written recursive descent over the tokens of ./lexer.ts, producing
 * the AST of ./ast.ts. Entry points: {@link parseScript} for scripts, {@link parseExpression} for one expression,
 * {@link formatExpression} to print an expression back as SQL.
 */
export { formatExpression, formatType } from './format-expression.js';
export { parseExpression, parseScript } from './parse-script.js';
