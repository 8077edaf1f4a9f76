import type { SqlType } from './sql-type.js';
import {
  decimalShape,
  integerRank,
  isApproximate,
  isBinary,
  isCharacter,
  isInteger,
  isNumeric,
  isTimestamp,
  SqlTypes,
  withNullable,
  withoutTimeAttribute,
} from './type-factory.js';

/**
 * The least restrictive type of `types` (UNION branches, CASE results, IN lists, COALESCE, comparison operands), as
 * Flink's type system finds it: numbers widen (integers → DECIMAL → FLOAT → DOUBLE), strings of different lengths
 * become VARCHAR of the longest (Flink converts ragged CHAR unions to VARCHAR), DATE widens to TIMESTAMP,
 * TIMESTAMP and TIMESTAMP_LTZ meet at TIMESTAMP_LTZ, ROW/ARRAY/MAP field by field. NULL fits anything; ANY absorbs
 * everything. The result is nullable when any input is. Undefined when there is no common type.
 */
export function leastRestrictive(types: readonly SqlType[]): SqlType | undefined {
  const concrete = types.filter((t) => t.kind !== 'NULL');
  const nullable = types.some((t) => t.nullable);
  if (concrete.length === 0) return types.length === 0 ? undefined : SqlTypes.null();
  let result: SqlType | undefined = withoutTimeAttribute(concrete[0] as SqlType);
  for (let i = 1; i < concrete.length && result !== undefined; i++) {
    result = commonOfTwo(result, concrete[i] as SqlType);
  }
  return result === undefined ? undefined : withNullable(result, nullable || result.nullable);
}

function commonOfTwo(a: SqlType, b: SqlType): SqlType | undefined {
  const nullable = a.nullable || b.nullable;
  if (a.kind === 'ANY' || b.kind === 'ANY') return SqlTypes.any(nullable);
  if (isNumeric(a) && isNumeric(b)) return commonNumeric(a, b, nullable);
  if (isCharacter(a) && isCharacter(b)) {
    const la = (a as { length: number }).length;
    const lb = (b as { length: number }).length;
    if (a.kind === 'CHAR' && b.kind === 'CHAR' && la === lb) return a;
    return SqlTypes.varchar(Math.max(la, lb), nullable);
  }
  if (isBinary(a) && isBinary(b)) {
    const la = (a as { length: number }).length;
    const lb = (b as { length: number }).length;
    const kind = a.kind === 'BINARY' && b.kind === 'BINARY' && la === lb ? 'BINARY' : 'VARBINARY';
    return { kind, length: Math.max(la, lb), nullable };
  }
  if ((isTimestamp(a) || a.kind === 'DATE') && (isTimestamp(b) || b.kind === 'DATE')) {
    if (a.kind === 'DATE' && b.kind === 'DATE') return SqlTypes.date(nullable);
    const precision = Math.max(precisionOf(a), precisionOf(b));
    const ltz = a.kind === 'TIMESTAMP_LTZ' || b.kind === 'TIMESTAMP_LTZ';
    return ltz ? SqlTypes.timestampLtz(precision, nullable) : SqlTypes.timestamp(precision, nullable);
  }
  if (a.kind === 'TIME' && b.kind === 'TIME') return SqlTypes.time(Math.max(a.precision, b.precision), nullable);
  if (a.kind !== b.kind) return undefined;
  switch (a.kind) {
    case 'ROW': {
      const other = b as typeof a;
      if (a.fields.length !== other.fields.length) return undefined;
      const fields = [];
      for (let i = 0; i < a.fields.length; i++) {
        const f = a.fields[i] as { name: string; type: SqlType };
        const t = leastRestrictive([f.type, (other.fields[i] as { type: SqlType }).type]);
        if (t === undefined) return undefined;
        fields.push({ name: f.name, type: t });
      }
      return SqlTypes.row(fields, nullable);
    }
    case 'ARRAY':
    case 'MULTISET': {
      const element = leastRestrictive([a.element, (b as typeof a).element]);
      return element === undefined ? undefined : { kind: a.kind, element, nullable };
    }
    case 'MAP': {
      const key = leastRestrictive([a.key, (b as typeof a).key]);
      const value = leastRestrictive([a.value, (b as typeof a).value]);
      return key === undefined || value === undefined ? undefined : SqlTypes.map(key, value, nullable);
    }
    default:
      return withNullable(a, nullable);
  }
}

function precisionOf(t: SqlType): number {
  return t.kind === 'TIMESTAMP' || t.kind === 'TIMESTAMP_LTZ' ? t.precision : 0;
}

function commonNumeric(a: SqlType, b: SqlType, nullable: boolean): SqlType {
  if (a.kind === 'DOUBLE' || b.kind === 'DOUBLE') return SqlTypes.double(nullable);
  if (isApproximate(a) || isApproximate(b)) {
    // FLOAT meeting a DECIMAL loses less as DOUBLE.
    return a.kind === 'DECIMAL' || b.kind === 'DECIMAL' ? SqlTypes.double(nullable) : SqlTypes.float(nullable);
  }
  if (isInteger(a) && isInteger(b)) return withNullable(integerRank(a) >= integerRank(b) ? a : b, nullable);
  const da = decimalShape(a) as { precision: number; scale: number };
  const db = decimalShape(b) as { precision: number; scale: number };
  const scale = Math.max(da.scale, db.scale);
  const digits = Math.max(da.precision - da.scale, db.precision - db.scale);
  return SqlTypes.decimal(Math.min(38, digits + scale), scale, nullable);
}

/** True when values of `a` and `b` can be compared with = and < (after widening to their common type). */
export function isComparable(a: SqlType, b: SqlType): boolean {
  if (a.kind === 'NULL' || b.kind === 'NULL' || a.kind === 'ANY' || b.kind === 'ANY') return true;
  if (a.kind === 'BOOLEAN' || b.kind === 'BOOLEAN') return a.kind === b.kind;
  return leastRestrictive([a, b]) !== undefined;
}

/** True when CAST(a AS b) is allowed (checked by the compiler too, which names both types when it is not). */
export function canCast(from: SqlType, to: SqlType): boolean {
  if (from.kind === 'NULL' || from.kind === 'ANY' || to.kind === 'ANY') return true;
  if (from.kind === to.kind) return true;
  if (isCharacter(to) || isCharacter(from)) {
    return !(isBinary(from) && !isCharacter(to)) || isCharacter(to);
  }
  const numericLike = (t: SqlType) => isNumeric(t) || t.kind === 'BOOLEAN';
  if (numericLike(from) && numericLike(to)) return true;
  if (isTimestamp(from) && (isTimestamp(to) || to.kind === 'DATE' || to.kind === 'TIME')) return true;
  if (from.kind === 'DATE' && isTimestamp(to)) return true;
  if (isTimestamp(from) && (to.kind === 'BIGINT' || to.kind === 'INT')) return true;
  if (isInterval(from) && isNumeric(to)) return true;
  if (isNumeric(from) && isInterval(to)) return true;
  return false;
}

function isInterval(t: SqlType): boolean {
  return t.kind === 'INTERVAL_DAY_TIME' || t.kind === 'INTERVAL_YEAR_MONTH';
}
