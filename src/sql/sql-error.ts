import { PlanError } from '../core/errors.js';
import type { Span } from './parser/ast.js';

/**
 * An error in a SQL script found before anything runs (syntax, unknown name, type mismatch, an unsupported query
 * shape, a sink that cannot take the query's changelog). Its message names the script and line:column, quotes the
 * line with a caret under the offending text, and ends with a suggestion when there is one:
 *
 * ```
 * q.sql:3:8: Column 'prise' not found in any table
 *   SELECT prise FROM bid
 *          ^^^^^
 * Did you mean 'price'?
 * ```
 * It is a PlanError, so a run that fails with it is never restarted.
 */
export class SqlError extends PlanError {
  override name = 'SqlError';
  constructor(
    /** The message without position: "Column 'prise' not found in any table". */
    readonly reason: string,
    readonly span: Span | undefined,
    /** The whole script text, to quote the line. */
    readonly text: string,
    /** Name of the script (file path or `<inline>`). */
    readonly source: string,
    readonly suggestion?: string,
  ) {
    super(formatSqlError(reason, span, text, source, suggestion));
  }
}

export function formatSqlError(
  reason: string,
  span: Span | undefined,
  text: string,
  source: string,
  suggestion?: string,
): string {
  const lines: string[] = [];
  if (span === undefined) {
    lines.push(`${source}: ${reason}`);
  } else {
    lines.push(`${source}:${span.line}:${span.column}: ${reason}`);
    const lineText = text.split('\n')[span.line - 1] ?? '';
    const width = Math.max(1, Math.min(span.end - span.start, lineText.length - span.column + 1));
    lines.push(`  ${lineText}`);
    lines.push(`  ${' '.repeat(span.column - 1)}${'^'.repeat(width)}`);
  }
  if (suggestion !== undefined) lines.push(suggestion);
  return lines.join('\n');
}

/** The candidate closest to `name` by edit distance, when close enough to be a likely misspelling. */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = name.toLowerCase();
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
