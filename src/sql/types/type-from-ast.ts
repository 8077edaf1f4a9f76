import type { TypeName } from '../parser/ast.js';
import { SqlError } from '../sql-error.js';
import { MAX_VARCHAR_LENGTH, type SqlType } from './sql-type.js';

/**
 * The {@link SqlType} a type written in DDL or CAST stands for, with Flink's defaults: DECIMAL = DECIMAL(10, 0),
 * CHAR = CHAR(1), VARCHAR = STRING = VARCHAR(2147483647), VARBINARY = BYTES = VARBINARY(2147483647), TIME = TIME(0),
 * TIMESTAMP and TIMESTAMP_LTZ = precision 6. INTERVAL YEAR/MONTH ranges are INTERVAL_YEAR_MONTH, all others
 * INTERVAL_DAY_TIME. `text`/`source` name the script for errors (bad DECIMAL precision and the like).
 */
export function typeFromAst(type: TypeName, text = '', source = '<sql>'): SqlType {
  const fail = (reason: string): never => {
    throw new SqlError(reason, type.span, text, source);
  };
  const nullable = type.nullable;
  switch (type.kind) {
    case 'simpleType': {
      const [a, b] = type.args;
      switch (type.name) {
        case 'DECIMAL': {
          const precision = a ?? 10;
          const scale = b ?? 0;
          if (precision < 1 || precision > 38) fail(`DECIMAL precision must be between 1 and 38, got ${precision}`);
          if (scale < 0 || scale > precision) fail(`DECIMAL scale must be between 0 and ${precision}, got ${scale}`);
          return { kind: 'DECIMAL', precision, scale, nullable };
        }
        case 'CHAR':
        case 'VARCHAR':
        case 'BINARY':
        case 'VARBINARY': {
          // Flink SQL (DDL, CAST, function signatures): VARCHAR and VARBINARY without a length are the longest,
          // i.e. STRING and BYTES; CHAR and BINARY are 1 long.
          const length = a ?? (type.name === 'VARCHAR' || type.name === 'VARBINARY' ? MAX_VARCHAR_LENGTH : 1);
          if (length < 1) fail(`${type.name} length must be at least 1, got ${length}`);
          return { kind: type.name, length, nullable };
        }
        case 'STRING':
          return { kind: 'VARCHAR', length: MAX_VARCHAR_LENGTH, nullable };
        case 'BYTES':
          return { kind: 'VARBINARY', length: MAX_VARCHAR_LENGTH, nullable };
        case 'TIME':
          return { kind: 'TIME', precision: checkPrecision(a ?? 0, fail), nullable };
        case 'TIMESTAMP':
        case 'TIMESTAMP_LTZ':
          return { kind: type.name, precision: checkPrecision(a ?? 6, fail), nullable };
        case 'NULL':
          return { kind: 'NULL', nullable: true };
        default:
          return { kind: type.name, nullable } as SqlType;
      }
    }
    case 'rowType':
      return {
        kind: 'ROW',
        fields: type.fields.map((f) => ({ name: f.name.name, type: typeFromAst(f.type, text, source) })),
        nullable,
      };
    case 'arrayType':
      return { kind: 'ARRAY', element: typeFromAst(type.element, text, source), nullable };
    case 'multisetType':
      return { kind: 'MULTISET', element: typeFromAst(type.element, text, source), nullable };
    case 'mapType':
      return {
        kind: 'MAP',
        key: typeFromAst(type.key, text, source),
        value: typeFromAst(type.value, text, source),
        nullable,
      };
    case 'intervalType':
      return {
        kind: type.from === 'YEAR' || type.from === 'MONTH' ? 'INTERVAL_YEAR_MONTH' : 'INTERVAL_DAY_TIME',
        nullable,
      };
  }
}

function checkPrecision(precision: number, fail: (reason: string) => never): number {
  if (precision < 0 || precision > 9) fail(`Time precision must be between 0 and 9, got ${precision}`);
  return precision;
}
