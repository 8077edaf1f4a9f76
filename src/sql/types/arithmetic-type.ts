import { decimalAddType, decimalDivideType, decimalModType, decimalMultiplyType } from './decimal.js';
import { formatType, type SqlType } from './sql-type.js';
import {
  decimalShape,
  integerRank,
  isApproximate,
  isInteger,
  isInterval,
  isNumeric,
  isTimestamp,
  SqlTypes,
  withNullable,
  withoutTimeAttribute,
} from './type-factory.js';

/**
 * Result type of a binary arithmetic operator (`+ - * / %`) as Flink types it: integers keep the wider integer
 * type (so INT / INT is INT and truncates, BIGINT % INT is INT as MOD takes its second operand's type), a DECIMAL
 * operand gives Flink's DECIMAL rules, a FLOAT/DOUBLE operand gives DOUBLE (FLOAT when no DOUBLE or DECIMAL
 * meets it). Datetime ± INTERVAL keeps the datetime type; INTERVAL * / number keeps the INTERVAL.
 * Undefined when the operator does not apply to these types.
 */
export function arithmeticType(operator: string, a: SqlType, b: SqlType): SqlType | undefined {
  const nullable = a.nullable || b.nullable;
  if (a.kind === 'NULL' && b.kind === 'NULL') return SqlTypes.int(true);
  if (a.kind === 'ANY' || b.kind === 'ANY') return SqlTypes.any(nullable);
  if (a.kind === 'NULL') return arithmeticType(operator, withNullable(b, true), b);
  if (b.kind === 'NULL') return arithmeticType(operator, a, withNullable(a, true));
  if (isNumeric(a) && isNumeric(b)) return numericType(operator, a, b, nullable);
  const datetime = (t: SqlType) => isTimestamp(t) || t.kind === 'DATE' || t.kind === 'TIME';
  if ((operator === '+' || operator === '-') && datetime(a) && isInterval(b)) {
    return withNullable(withoutTimeAttribute(a), nullable);
  }
  if (operator === '+' && isInterval(a) && datetime(b)) return withNullable(withoutTimeAttribute(b), nullable);
  if ((operator === '+' || operator === '-') && isInterval(a) && a.kind === b.kind) return withNullable(a, nullable);
  if ((operator === '*' || operator === '/') && isInterval(a) && isNumeric(b)) return withNullable(a, nullable);
  if (operator === '*' && isNumeric(a) && isInterval(b)) return withNullable(b, nullable);
  return undefined;
}

function numericType(operator: string, a: SqlType, b: SqlType, nullable: boolean): SqlType {
  if (a.kind === 'DOUBLE' || b.kind === 'DOUBLE') return SqlTypes.double(nullable);
  if (isApproximate(a) || isApproximate(b)) {
    return a.kind === 'DECIMAL' || b.kind === 'DECIMAL' ? SqlTypes.double(nullable) : SqlTypes.float(nullable);
  }
  if (isInteger(a) && isInteger(b)) {
    if (operator === '%') return withNullable(b, nullable);
    return withNullable(integerRank(a) >= integerRank(b) ? a : b, nullable);
  }
  const da = decimalShape(a) as { precision: number; scale: number };
  const db = decimalShape(b) as { precision: number; scale: number };
  const shape =
    operator === '*'
      ? decimalMultiplyType(da, db)
      : operator === '/'
        ? decimalDivideType(da, db)
        : operator === '%'
          ? decimalModType(da, db)
          : decimalAddType(da, db);
  return SqlTypes.decimal(shape.precision, shape.scale, nullable);
}

/** The message for operands an operator does not take. */
export function operatorTypeMessage(operator: string, types: readonly SqlType[]): string {
  return `Cannot apply '${operator}' to arguments of type ${types.map((t) => `<${formatType(t)}>`).join(', ')}`;
}
