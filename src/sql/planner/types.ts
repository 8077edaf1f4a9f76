import type { Expression, Literal, Span, TypeName } from '../parser/ast.js';
import { parseExpression } from '../parser/parse-script.js';
import type { SqlType } from '../types/sql-type.js';
import { typeFromAst as typeFromAstChecked } from '../types/type-from-ast.js';

/**
 * The SqlType a type name of DDL or CAST denotes (Flink's defaults for omitted lengths and precisions: VARCHAR is
 * STRING). One implementation with the function registry's signatures, so a type reads the same everywhere.
 */
export function typeFromAst(t: TypeName): SqlType {
  return typeFromAstChecked(t);
}

/** A literal's type and run-time value. */
export function literalValue(lit: Literal, span?: Span): { value: unknown; type: SqlType } {
  switch (lit.type) {
    case 'string':
      return { value: lit.value, type: { kind: 'CHAR', length: Math.max(1, lit.value.length), nullable: false } };
    case 'boolean':
      return { value: lit.value.toUpperCase() === 'TRUE', type: { kind: 'BOOLEAN', nullable: false } };
    case 'null':
      return { value: null, type: { kind: 'NULL', nullable: true } };
    case 'integer': {
      const n = Number(lit.value);
      const int = Math.abs(n) <= 2147483647;
      return { value: n, type: { kind: int ? 'INT' : 'BIGINT', nullable: false } };
    }
    case 'decimal': {
      const text = lit.value.replace(/^[+-]/, '');
      const [whole = '', frac = ''] = text.split('.');
      const digits = (whole.replace(/^0+/, '') + frac).length;
      const scale = frac.length;
      return {
        value: Number(lit.value),
        type: { kind: 'DECIMAL', precision: Math.max(digits, scale, 1), scale, nullable: false },
      };
    }
    case 'double':
      return { value: Number(lit.value), type: { kind: 'DOUBLE', nullable: false } };
    case 'date': {
      const ms = Date.parse(`${lit.value.trim()}T00:00:00Z`);
      if (Number.isNaN(ms)) throw new Error(`Invalid DATE literal '${lit.value}'${span ? '' : ''}`);
      return { value: Math.round(ms / 86400000), type: { kind: 'DATE', nullable: false } };
    }
    case 'time': {
      const [h = '0', m = '0', s = '0'] = lit.value.trim().split(':');
      const value = Math.round(((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000);
      if (Number.isNaN(value)) throw new Error(`Invalid TIME literal '${lit.value}'`);
      return { value, type: { kind: 'TIME', precision: 0, nullable: false } };
    }
    case 'timestamp': {
      const ms = Date.parse(`${lit.value.trim().replace(' ', 'T')}Z`);
      if (Number.isNaN(ms)) throw new Error(`Invalid TIMESTAMP literal '${lit.value}'`);
      const frac = /\.(\d+)/.exec(lit.value)?.[1]?.length ?? 0;
      return { value: ms, type: { kind: 'TIMESTAMP', precision: Math.max(frac, 0), nullable: false } };
    }
    case 'binary': {
      const hex = lit.value.replace(/\s/g, '');
      const bytes = new Uint8Array(hex.length / 2);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
      return { value: bytes, type: { kind: 'BINARY', length: Math.max(1, bytes.length), nullable: false } };
    }
  }
}

const UNIT_MS: Record<string, number> = {
  DAY: 86400000,
  HOUR: 3600000,
  MINUTE: 60000,
  SECOND: 1000,
  MILLISECOND: 1,
};

/**
 * The value of an interval literal: milliseconds for day-time intervals, months for year-month ones.
 * Accepts Flink's forms: '10' SECOND, '1:30' MINUTE TO SECOND, '1 02:03:04.5' DAY TO SECOND, '1-6' YEAR TO MONTH.
 */
export function intervalValue(
  value: string,
  from: string,
  to: string | undefined,
  negative: boolean,
): {
  value: number;
  type: SqlType;
} {
  const sign = negative !== value.trim().startsWith('-') ? -1 : 1;
  const text = value.trim().replace(/^[+-]/, '');
  if (from === 'YEAR' || from === 'MONTH') {
    let months: number;
    if (to === 'MONTH' && from === 'YEAR') {
      const [y = '0', m = '0'] = text.split('-');
      months = Number(y) * 12 + Number(m);
    } else months = from === 'YEAR' ? Number(text) * 12 : Number(text);
    if (Number.isNaN(months)) throw new Error(`Invalid interval value '${value}'`);
    return { value: sign * months, type: { kind: 'INTERVAL_YEAR_MONTH', nullable: false } };
  }
  const units = ['DAY', 'HOUR', 'MINUTE', 'SECOND'];
  let ms: number;
  if (to === undefined) {
    ms = Number(text) * (UNIT_MS[from] ?? 1);
  } else {
    const parts = text.split(/[ :]/);
    const start = units.indexOf(from);
    ms = 0;
    parts.forEach((p, i) => {
      ms += Number(p) * (UNIT_MS[units[start + i] ?? 'SECOND'] ?? 1);
    });
  }
  if (Number.isNaN(ms)) throw new Error(`Invalid interval value '${value}'`);
  return { value: sign * Math.round(ms), type: { kind: 'INTERVAL_DAY_TIME', nullable: false } };
}

const NUMERIC_RANK: Record<string, number> = {
  TINYINT: 1,
  SMALLINT: 2,
  INT: 3,
  BIGINT: 4,
  DECIMAL: 5,
  FLOAT: 6,
  DOUBLE: 7,
};
const INT_PRECISION: Record<string, number> = { TINYINT: 3, SMALLINT: 5, INT: 10, BIGINT: 19 };

/** True for the numeric types. */
export function isNumeric(t: SqlType): boolean {
  return NUMERIC_RANK[t.kind] !== undefined;
}

export function isCharacter(t: SqlType): boolean {
  return t.kind === 'CHAR' || t.kind === 'VARCHAR';
}

function asDecimal(t: SqlType): { precision: number; scale: number } | undefined {
  if (t.kind === 'DECIMAL') return { precision: t.precision, scale: t.scale };
  const p = INT_PRECISION[t.kind];
  return p === undefined ? undefined : { precision: p, scale: 0 };
}

/** Flink's result type of arithmetic `a op b` on numbers, dates and intervals. */
export function arithmeticType(op: string, a: SqlType, b: SqlType): SqlType | undefined {
  const nullable = a.nullable || b.nullable;
  const temporal = (t: SqlType) =>
    t.kind === 'TIMESTAMP' || t.kind === 'TIMESTAMP_LTZ' || t.kind === 'DATE' || t.kind === 'TIME';
  const interval = (t: SqlType) => t.kind === 'INTERVAL_DAY_TIME' || t.kind === 'INTERVAL_YEAR_MONTH';
  if ((op === '+' || op === '-') && temporal(a) && interval(b)) return { ...withoutAttribute(a), nullable } as SqlType;
  if (op === '+' && interval(a) && temporal(b)) return { ...withoutAttribute(b), nullable } as SqlType;
  if (interval(a) && interval(b) && (op === '+' || op === '-')) return { ...a, nullable } as SqlType;
  if (interval(a) && isNumeric(b) && (op === '*' || op === '/')) return { ...a, nullable } as SqlType;
  if (a.kind === 'NULL')
    return b.kind === 'NULL' ? { kind: 'INT', nullable: true } : ({ ...b, nullable: true } as SqlType);
  if (b.kind === 'NULL') return { ...a, nullable: true } as SqlType;
  const ra = NUMERIC_RANK[a.kind];
  const rb = NUMERIC_RANK[b.kind];
  if (ra === undefined || rb === undefined) return undefined;
  if (a.kind === 'DOUBLE' || b.kind === 'DOUBLE' || a.kind === 'FLOAT' || b.kind === 'FLOAT') {
    return { kind: a.kind === 'DOUBLE' || b.kind === 'DOUBLE' ? 'DOUBLE' : 'FLOAT', nullable };
  }
  if (a.kind !== 'DECIMAL' && b.kind !== 'DECIMAL') {
    return { kind: ra >= rb ? a.kind : b.kind, nullable } as SqlType;
  }
  const da = asDecimal(a)!;
  const db = asDecimal(b)!;
  let precision: number;
  let scale: number;
  switch (op) {
    case '*':
      precision = da.precision + db.precision;
      scale = da.scale + db.scale;
      break;
    case '/':
      scale = Math.max(6, da.scale + db.precision + 1);
      precision = da.precision - da.scale + db.scale + scale;
      break;
    case '%':
      scale = Math.max(da.scale, db.scale);
      precision = Math.min(da.precision - da.scale, db.precision - db.scale) + scale;
      break;
    default:
      scale = Math.max(da.scale, db.scale);
      precision = Math.max(da.precision - da.scale, db.precision - db.scale) + scale + 1;
  }
  if (precision > 38) {
    scale = Math.max(Math.min(scale, 6), scale - (precision - 38));
    precision = 38;
  }
  return { kind: 'DECIMAL', precision, scale, nullable };
}

function withoutAttribute(t: SqlType): SqlType {
  if ((t.kind === 'TIMESTAMP' || t.kind === 'TIMESTAMP_LTZ') && t.timeAttribute !== undefined) {
    return { kind: t.kind, precision: t.precision, nullable: t.nullable };
  }
  return t;
}

/** The least restrictive type of several (CASE branches, UNION columns, IN lists, VALUES rows). */
export function commonType(types: readonly SqlType[]): SqlType | undefined {
  let result: SqlType | undefined;
  for (const raw of types) {
    const t = withoutAttribute(raw);
    if (result === undefined || result.kind === 'NULL') {
      result = result?.kind === 'NULL' ? ({ ...t, nullable: true } as SqlType) : t;
      continue;
    }
    if (t.kind === 'NULL') {
      result = { ...result, nullable: true } as SqlType;
      continue;
    }
    const nullable = result.nullable || t.nullable;
    if (isCharacter(result) && isCharacter(t)) {
      const la = (result as { length: number }).length;
      const lb = (t as { length: number }).length;
      const kind = result.kind === 'CHAR' && t.kind === 'CHAR' && la === lb ? 'CHAR' : 'VARCHAR';
      result = { kind, length: Math.max(la, lb), nullable };
    } else if (isNumeric(result) && isNumeric(t)) {
      if (result.kind === 'DECIMAL' || t.kind === 'DECIMAL') {
        const x = asDecimal(result);
        const y = asDecimal(t);
        if (x && y) {
          const scale = Math.max(x.scale, y.scale);
          const precision = Math.min(38, Math.max(x.precision - x.scale, y.precision - y.scale) + scale);
          result = { kind: 'DECIMAL', precision, scale, nullable };
          continue;
        }
      }
      result = { ...(arithmeticType('+', result, t) ?? result), nullable } as SqlType;
    } else if (result.kind === t.kind) {
      if ((result.kind === 'TIMESTAMP' || result.kind === 'TIMESTAMP_LTZ') && 'precision' in t) {
        result = { kind: result.kind, precision: Math.max(result.precision, t.precision), nullable };
      } else result = { ...result, nullable } as SqlType;
    } else if (result.kind === 'ANY' || t.kind === 'ANY') {
      result = { kind: 'ANY', nullable };
    } else {
      return undefined;
    }
  }
  return result;
}

/** A type written as text in TypeScript signatures: 'BIGINT', 'STRING', 'DECIMAL(10, 2)', 'TIMESTAMP(3)'. */
export function typeFromString(text: string): SqlType {
  const m = /^\s*([A-Za-z_ ]+?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*(NOT NULL)?\s*$/i.exec(text);
  if (m === null) {
    // Nested types (ROW<a INT, b STRING>, ARRAY<BIGINT>, MAP<...>): read by the SQL parser inside a CAST.
    let cast: Expression | undefined;
    try {
      cast = parseExpression(`CAST(NULL AS ${text})`, '<type>');
    } catch {
      cast = undefined;
    }
    if (cast?.kind === 'cast') return typeFromAst(cast.type);
    throw new Error(`Cannot read the type '${text}' (expected e.g. BIGINT, STRING, DECIMAL(10, 2), ROW<a INT>)`);
  }
  const aliases: Record<string, string> = {
    INTEGER: 'INT',
    'DOUBLE PRECISION': 'DOUBLE',
    NUMERIC: 'DECIMAL',
    DEC: 'DECIMAL',
  };
  const raw = m[1]!.toUpperCase().replace(/\s+/g, ' ');
  const name = (aliases[raw] ?? raw) as Parameters<typeof typeFromAst>[0] extends { name: infer N } ? N : never;
  const args = [m[2], m[3]].filter((x) => x !== undefined).map(Number);
  const span = { start: 0, end: text.length, line: 1, column: 1 };
  return typeFromAst({ kind: 'simpleType', name: name as never, args, nullable: m[4] === undefined, span });
}
