import { arithmeticType } from '../../types/arithmetic-type.js';
import { roundHalfUp } from '../../types/decimal.js';
import type { SqlType } from '../../types/sql-type.js';
import { isInteger, SqlTypes, withNullable } from '../../types/type-factory.js';
import { type BuiltinScalarFunction, defineScalar } from './builtin-function.js';

const DOUBLE = () => SqlTypes.double(false);
const SAME = (args: readonly SqlType[]) => withNullable(args[0] as SqlType, false);

function double1(name: string, description: string, f: (x: number) => number): BuiltinScalarFunction {
  return defineScalar({
    name,
    category: 'math',
    signatures: [`${name}(numeric)`],
    returnsText: 'DOUBLE',
    description,
    params: ['numeric'],
    returns: DOUBLE,
    fn: f,
  });
}

/** Integer division and remainder fail on zero, as in Flink (Java's ArithmeticException). */
export function checkedDivisor(b: number): number {
  if (b === 0) throw new Error('Division by zero');
  return b;
}

function roundTo(x: number, d: number, truncate: boolean): number {
  if (!Number.isFinite(x)) return x;
  if (d >= 0) {
    if (!truncate) return roundHalfUp(x, d);
    const f = 10 ** d;
    const scaled = x * f;
    // Multiplication error can put 1.1 * 10 a hair below 11: take the decimal text when that happens.
    const t = Math.trunc(Math.abs(scaled - Math.round(scaled)) < 1e-9 ? Math.round(scaled) : scaled);
    return t / f;
  }
  const f = 10 ** -d;
  return (truncate ? Math.trunc(x / f) : roundHalfUp(x / f, 0)) * f;
}

let seedState = Date.now() >>> 0;
/** A small seeded generator (mulberry32): RAND(seed) gives the same sequence for the same seed per call site. */
function mulberry(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Math functions with Flink's names and semantics. */
export const MATH_FUNCTIONS: readonly BuiltinScalarFunction[] = [
  defineScalar({
    name: 'ABS',
    category: 'math',
    signatures: ['ABS(numeric)'],
    returnsText: 'same type',
    description: 'Absolute value.',
    params: ['numeric|interval'],
    returns: SAME,
    fn: Math.abs,
  }),
  defineScalar({
    name: 'MOD',
    category: 'math',
    signatures: ['MOD(numeric1, numeric2)'],
    returnsText: 'type of numeric2 for integers',
    description: 'Remainder of numeric1 / numeric2, with the sign of numeric1; fails on zero for integers.',
    params: ['numeric', 'numeric'],
    returns: ([a, b]) => withNullable(arithmeticType('%', a as SqlType, b as SqlType) ?? SqlTypes.double(), false),
    implement: (_args, result) => {
      if (isInteger(result)) return (a: number, b: number) => a % checkedDivisor(b);
      if (result.kind === 'DECIMAL') {
        const scale = result.scale;
        return (a: number, b: number) => roundHalfUp(a % b, scale);
      }
      return (a: number, b: number) => a % b;
    },
  }),
  defineScalar({
    name: 'POWER',
    category: 'math',
    signatures: ['POWER(base, exponent)'],
    returnsText: 'DOUBLE',
    description: 'base raised to exponent.',
    params: ['numeric', 'numeric'],
    returns: DOUBLE,
    fn: Math.pow,
  }),
  double1('SQRT', 'Square root.', Math.sqrt),
  double1('EXP', 'e raised to the argument.', Math.exp),
  double1('LN', 'Natural logarithm.', Math.log),
  double1('LOG10', 'Base-10 logarithm.', Math.log10),
  double1('LOG2', 'Base-2 logarithm.', Math.log2),
  defineScalar({
    name: 'LOG',
    category: 'math',
    signatures: ['LOG(numeric)', 'LOG(base, numeric)'],
    returnsText: 'DOUBLE',
    description: 'Natural logarithm, or logarithm to base.',
    params: ['numeric', '?numeric'],
    returns: DOUBLE,
    fn: (a: number, b?: number) => (b === undefined ? Math.log(a) : Math.log(b) / Math.log(a)),
  }),
  defineScalar({
    name: 'ROUND',
    category: 'math',
    signatures: ['ROUND(numeric[, digits])'],
    returnsText: 'same type',
    description: 'Rounds half away from zero to digits (default 0) after the point; negative digits round left of it.',
    params: ['numeric', '?integer'],
    returns: SAME,
    fn: (x: number, d = 0) => roundTo(x, d, false),
  }),
  defineScalar({
    name: 'TRUNCATE',
    category: 'math',
    signatures: ['TRUNCATE(numeric[, digits])'],
    returnsText: 'same type',
    description: 'Cuts to digits (default 0) after the point, toward zero.',
    params: ['numeric', '?integer'],
    returns: SAME,
    fn: (x: number, d = 0) => roundTo(x, d, true),
  }),
  defineScalar({
    name: 'SIGN',
    category: 'math',
    signatures: ['SIGN(numeric)'],
    returnsText: 'same type',
    description: '-1, 0 or 1 by the sign of the argument.',
    params: ['numeric'],
    returns: SAME,
    fn: Math.sign,
  }),
  defineScalar({
    name: 'RAND',
    category: 'math',
    signatures: ['RAND([seed])'],
    returnsText: 'DOUBLE NOT NULL',
    description: 'Pseudo-random number in [0, 1); with a seed, a repeatable sequence.',
    params: ['?integer'],
    deterministic: false,
    strict: false,
    returns: DOUBLE,
    implement: (args) => {
      if (args.length === 0) return () => Math.random();
      let next: (() => number) | undefined;
      return (seed: number | null) => {
        next ??= mulberry(seed ?? seedState++);
        return next();
      };
    },
  }),
  defineScalar({
    name: 'RAND_INTEGER',
    category: 'math',
    signatures: ['RAND_INTEGER([seed, ] bound)'],
    returnsText: 'INT',
    description: 'Pseudo-random integer in [0, bound).',
    params: ['integer', '?integer'],
    deterministic: false,
    returns: () => SqlTypes.int(false),
    implement: (args) => {
      if (args.length === 1) return (bound: number) => Math.floor(Math.random() * bound);
      let next: (() => number) | undefined;
      return (seed: number, bound: number) => {
        next ??= mulberry(seed);
        return Math.floor(next() * bound);
      };
    },
  }),
  defineScalar({
    name: 'PI',
    category: 'math',
    signatures: ['PI()'],
    returnsText: 'DOUBLE NOT NULL',
    description: 'π.',
    params: [],
    returns: DOUBLE,
    fn: () => Math.PI,
  }),
  defineScalar({
    name: 'E',
    category: 'math',
    signatures: ['E()'],
    returnsText: 'DOUBLE NOT NULL',
    description: 'e.',
    params: [],
    returns: DOUBLE,
    fn: () => Math.E,
  }),
  double1('SIN', 'Sine.', Math.sin),
  double1('COS', 'Cosine.', Math.cos),
  double1('TAN', 'Tangent.', Math.tan),
  double1('COT', 'Cotangent.', (x) => 1 / Math.tan(x)),
  double1('ASIN', 'Arc sine.', Math.asin),
  double1('ACOS', 'Arc cosine.', Math.acos),
  double1('ATAN', 'Arc tangent.', Math.atan),
  double1('SINH', 'Hyperbolic sine.', Math.sinh),
  double1('COSH', 'Hyperbolic cosine.', Math.cosh),
  double1('TANH', 'Hyperbolic tangent.', Math.tanh),
  double1('DEGREES', 'Radians to degrees.', (x) => (x * 180) / Math.PI),
  double1('RADIANS', 'Degrees to radians.', (x) => (x * Math.PI) / 180),
  defineScalar({
    name: 'ATAN2',
    category: 'math',
    signatures: ['ATAN2(y, x)'],
    returnsText: 'DOUBLE',
    description: 'Arc tangent of y / x.',
    params: ['numeric', 'numeric'],
    returns: DOUBLE,
    fn: Math.atan2,
  }),
  defineScalar({
    name: 'BIN',
    category: 'math',
    signatures: ['BIN(integer)'],
    returnsText: 'STRING',
    description: 'Binary digits of the integer (two’s complement for negatives).',
    params: ['integer'],
    returns: () => SqlTypes.string(false),
    fn: (n: number) => (n >= 0 ? n.toString(2) : BigInt.asUintN(64, BigInt(n)).toString(2)),
  }),
  defineScalar({
    name: 'HEX',
    category: 'math',
    signatures: ['HEX(integer)', 'HEX(string)'],
    returnsText: 'STRING',
    description: 'Upper-case hex digits of an integer or of a string’s UTF-8 bytes.',
    params: ['integer|string'],
    returns: () => SqlTypes.string(false),
    fn: (v: number | string) =>
      typeof v === 'string'
        ? Buffer.from(v, 'utf8').toString('hex').toUpperCase()
        : (v >= 0 ? v.toString(16) : BigInt.asUintN(64, BigInt(v)).toString(16)).toUpperCase(),
  }),
];
