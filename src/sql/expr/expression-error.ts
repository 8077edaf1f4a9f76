import { SluiceError } from '../../core/errors.js';
import type { Span } from '../parser/ast.js';
import { ROW_KIND_SHORT } from '../runtime/row.js';

/** Where a generated expression may fail: the function or operator, and where the SQL wrote it. */
export interface CallSite {
  readonly name: string;
  readonly span?: Span;
}

/**
 * A SQL function or operator failed while a row was evaluated (a CAST of bad text, a division by zero, a user
 * function that threw). Names the function, the SQL position, the expression's context and the row.
 */
export class SqlExpressionError extends SluiceError {
  override name = 'SqlExpressionError';
  constructor(
    readonly site: CallSite | undefined,
    readonly description: string,
    readonly rowSummary: string,
    override readonly cause: unknown,
  ) {
    const what = site === undefined ? 'expression' : `function ${site.name}`;
    const where = site?.span === undefined ? '' : ` at line ${site.span.line}, column ${site.span.column}`;
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`SQL ${what}${where} failed in ${description} on row ${rowSummary}: ${reason}`);
  }
}

/** `+I[1, abc, null]`, cut to about 200 characters. */
export function summarizeRow(row: unknown): string {
  if (!Array.isArray(row)) return String(row);
  const kind = ROW_KIND_SHORT[row[0] as number] ?? String(row[0]);
  const parts = row.slice(1).map((v) => summarizeValue(v));
  const text = `${kind}[${parts.join(', ')}]`;
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function summarizeValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v.length > 40 ? `${v.slice(0, 37)}...` : v;
  if (Array.isArray(v)) return `(${v.map(summarizeValue).join(', ')})`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${summarizeValue(k)}=${summarizeValue(x)}`).join(', ')}}`;
  return String(v);
}
