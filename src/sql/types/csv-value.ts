import { CastError, castFunction } from './cast.js';
import { fromJsonValue, SqlValueError, toJsonValue } from './json-value.js';
import type { SqlType } from './sql-type.js';
import { isCharacter } from './type-factory.js';

const STRING: SqlType = { kind: 'VARCHAR', length: 2147483647, nullable: true };

/**
 * The CSV text of a value, as Flink's csv format writes it: NULL → '' , strings as they are, numbers and times in
 * their CAST-to-STRING form except TIMESTAMP_LTZ (with 'Z') and nested values, which are written as JSON text.
 * Quoting is the CSV writer's business.
 */
export function toCsvText(value: unknown, type: SqlType): string {
  if (value === null || value === undefined) return '';
  switch (type.kind) {
    case 'ROW':
    case 'ARRAY':
    case 'MAP':
    case 'MULTISET':
    case 'ANY':
      return typeof value === 'string' ? value : JSON.stringify(toJsonValue(value, type));
    case 'BOOLEAN':
      return value ? 'true' : 'false';
    case 'TIMESTAMP_LTZ':
      return toJsonValue(value, type) as string;
    default: {
      const text = castFunction(type, STRING)(value);
      return text as string;
    }
  }
}

const casts = new WeakMap<SqlType, (v: unknown) => unknown>();

/**
 * The value of one CSV field for a column of `type`: '' is NULL for every type but strings; numbers, booleans and
 * times parse as CAST from STRING does; nested types read JSON text. Throws {@link SqlValueError} naming `path`.
 */
export function fromCsvText(text: string, type: SqlType, path: string): unknown {
  if (isCharacter(type)) return text;
  if (text === '') return null;
  let cast = casts.get(type);
  if (cast === undefined) {
    cast = castFunction(STRING, type);
    casts.set(type, cast);
  }
  try {
    switch (type.kind) {
      case 'ROW':
      case 'ARRAY':
      case 'MAP':
      case 'MULTISET':
        return fromJsonText(text, type, path);
      default:
        return cast(text);
    }
  } catch (e) {
    if (e instanceof SqlValueError) throw e;
    if (e instanceof CastError || e instanceof SyntaxError) throw new SqlValueError(path, e.message);
    throw e;
  }
}

function fromJsonText(text: string, type: SqlType, path: string): unknown {
  return fromJsonValue(JSON.parse(text), type, path);
}
