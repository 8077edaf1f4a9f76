import type { Span } from '../parser/ast.js';

/**
 * Where option `key` is written in the CREATE TABLE at `tableSpan` of `text` (the quoted key), so that an error
 * about the option can point at it; undefined when it is not written there (an option from LIKE, or a table
 * created by another script).
 */
export function optionSpan(text: string, tableSpan: Span | undefined, key: string): Span | undefined {
  if (tableSpan === undefined || key === '') return undefined;
  const ddl = text.slice(tableSpan.start, tableSpan.end);
  if (!/^\s*CREATE\b/i.test(ddl)) return undefined;
  const withAt = ddl.search(/\bWITH\s*\(/i);
  if (withAt < 0) return undefined;
  const quoted = `'${key.replaceAll("'", "''")}'`;
  const at = ddl.indexOf(quoted, withAt);
  if (at < 0) return undefined;
  const start = tableSpan.start + at;
  const before = text.slice(0, start);
  const line = before.split('\n').length;
  const column = start - (before.lastIndexOf('\n') + 1) + 1;
  return { start, end: start + quoted.length, line, column };
}
