// Hand-built Rex trees for the expression compiler tests (the binder is not needed to type them: the registry's
// inferType gives each call its type).
import { FunctionRegistry } from '../src/sql/functions/function-registry.js';
import type { Rex } from '../src/sql/plan/rex.js';
import type { SqlType } from '../src/sql/types/sql-type.js';
import { SqlTypes } from '../src/sql/types/type-factory.js';

export const registry = new FunctionRegistry();

export const lit = (value: unknown, type: SqlType): Rex => ({ kind: 'literal', value, type });
export const str = (s: string | null): Rex =>
  lit(s, s === null ? SqlTypes.string() : SqlTypes.varchar(Math.max(1, s.length), false));
export const int = (n: number | null): Rex => lit(n, SqlTypes.int(n === null));
export const big = (n: number | null): Rex => lit(n, SqlTypes.bigint(n === null));
export const bool = (b: boolean | null): Rex => lit(b, SqlTypes.boolean(b === null));
export const nul = (type: SqlType = SqlTypes.null()): Rex => lit(null, type);
export const col = (index: number, type: SqlType): Rex => ({ kind: 'input', index, type });
export const span = { start: 0, end: 1, line: 3, column: 8 };

/** A call typed by the registry (operators and functions alike). */
export function call(name: string, ...args: Rex[]): Rex {
  const definition = registry.scalar(name);
  if (definition === undefined) throw new Error(`no function ${name}`);
  const type = definition.inferType(args.map((a) => a.type));
  return { kind: 'call', name, args, type, span };
}

/** A call with an explicit type (CAST, TRY_CAST). */
export function typed(name: string, type: SqlType, ...args: Rex[]): Rex {
  return { kind: 'call', name, args, type, span };
}
