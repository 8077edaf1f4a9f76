/**
 * DECIMAL values are JavaScript numbers rounded to their scale where they are produced (sql-type.ts). These are the
 * rounding and the result-type rules of Flink (LogicalTypeMerging): ROUND_HALF_UP, precision capped at 38 keeping at
 * least 6 fraction digits.
 */

const MAX_PRECISION = 38;
const MINIMUM_ADJUSTED_SCALE = 6;
const POW10 = Array.from({ length: 39 }, (_, i) => 10 ** i);

/** `value` rounded half away from zero to `scale` fraction digits (Java's RoundingMode.HALF_UP). */
export function roundHalfUp(value: number, scale: number): number {
  if (!Number.isFinite(value)) return value;
  const factor = POW10[scale] ?? 10 ** scale;
  const abs = Math.abs(value);
  const scaled = abs * factor;
  if (scaled >= 9007199254740992) return value;
  let rounded = Math.round(scaled);
  // Binary fractions such as 1.005 sit a hair below the half: decide those from the shortest decimal text.
  if (Math.abs(scaled - Math.trunc(scaled) - 0.5) < 1e-7) {
    rounded = Math.round(Number(`${abs}e${scale}`));
  }
  const result = rounded / factor;
  return value < 0 ? -result : result;
}

/** `value` rounded to DECIMAL(precision, scale), or null when it does not fit (Flink's overflow result). */
export function toDecimal(value: number, precision: number, scale: number): number | null {
  const rounded = roundHalfUp(value, scale);
  if (Math.abs(rounded) >= (POW10[precision - scale] ?? 10 ** (precision - scale))) return null;
  return rounded;
}

/** Decimal shape, as Flink fits one that is too wide into 38 digits. */
export function adjustDecimal(precision: number, scale: number): { precision: number; scale: number } {
  if (precision <= MAX_PRECISION) return { precision: Math.max(1, precision), scale };
  const integerDigits = precision - scale;
  const minScale = Math.min(scale, MINIMUM_ADJUSTED_SCALE);
  return { precision: MAX_PRECISION, scale: Math.max(MAX_PRECISION - integerDigits, minScale) };
}

type Shape = { precision: number; scale: number };

/** Result shape of `a + b` and `a - b`. */
export function decimalAddType(a: Shape, b: Shape): Shape {
  const scale = Math.max(a.scale, b.scale);
  return adjustDecimal(Math.max(a.precision - a.scale, b.precision - b.scale) + scale + 1, scale);
}

/** Result shape of `a * b`. */
export function decimalMultiplyType(a: Shape, b: Shape): Shape {
  return adjustDecimal(a.precision + b.precision, a.scale + b.scale);
}

/** Result shape of `a / b`. */
export function decimalDivideType(a: Shape, b: Shape): Shape {
  const scale = Math.max(MINIMUM_ADJUSTED_SCALE, a.scale + b.precision + 1);
  return adjustDecimal(a.precision - a.scale + b.scale + scale, scale);
}

/** Result shape of `a % b` / MOD. */
export function decimalModType(a: Shape, b: Shape): Shape {
  const scale = Math.max(a.scale, b.scale);
  return adjustDecimal(Math.min(a.precision - a.scale, b.precision - b.scale) + scale, scale);
}

/** Result shape of SUM over DECIMAL(p, s): DECIMAL(38, s). */
export function decimalSumType(a: Shape): Shape {
  return { precision: MAX_PRECISION, scale: a.scale };
}

/** Result shape of AVG over DECIMAL(p, s): DECIMAL(38, max(6, s)). */
export function decimalAvgType(a: Shape): Shape {
  return adjustDecimal(MAX_PRECISION, Math.max(MINIMUM_ADJUSTED_SCALE, a.scale));
}
