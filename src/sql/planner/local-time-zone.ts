import type { ExpressionCompiler, FunctionCatalog } from '../functions/function-catalog.js';
import { createUserFunction } from '../functions/udf/user-function.js';
import type { Rex } from '../plan/rex.js';
import type { SqlType } from '../types/sql-type.js';
import { mapRex } from './rex-utils.js';

const FIXED = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;
const QUARTER_HOUR = 15 * 60 * 1000;

/** Whether 'table.local-time-zone' names UTC (the default: no conversion at all). */
export function isUtc(zone: string): boolean {
  return /^(UTC|GMT|Z|Etc\/UTC|Etc\/GMT|UTC[+-]0?0(:?00)?|GMT[+-]0?0(:?00)?|[+-]0?0(:?00)?)$/i.test(zone.trim());
}

/** Checks a zone id ('Asia/Shanghai', 'UTC', '+08:00', 'GMT-5'); returns an error text or undefined. */
export function checkTimeZone(zone: string): string | undefined {
  if (isUtc(zone) || FIXED.test(zone.trim())) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `Invalid time zone '${zone}' for 'table.local-time-zone' (expected e.g. 'UTC', 'Asia/Shanghai', '+08:00')`;
  }
}

/**
 * The offset of `zone` from UTC at an instant (epoch ms → ms). Fixed offsets are constant; region ids are read from
 * Intl once per quarter hour of instants (offsets change on quarter-hour boundaries) and cached.
 */
export function zoneOffset(zone: string): (instant: number) => number {
  const fixed = FIXED.exec(zone.trim());
  if (isUtc(zone)) return () => 0;
  if (fixed !== null) {
    const ms = (Number(fixed[2]) * 60 + Number(fixed[3] ?? 0)) * 60000;
    return fixed[1] === '-' ? () => -ms : () => ms;
  }
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const cache = new Map<number, number>();
  return (instant) => {
    const bucket = Math.floor(instant / QUARTER_HOUR);
    const hit = cache.get(bucket);
    if (hit !== undefined) return hit;
    const at = bucket * QUARTER_HOUR;
    const parts: Record<string, number> = {};
    for (const p of format.formatToParts(new Date(at))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
    const offset = wall - at;
    if (cache.size > 100_000) cache.clear();
    cache.set(bucket, offset);
    return offset;
  };
}

const TO_WALL = '$LTZ_TO_LOCAL';
const TO_INSTANT = '$LOCAL_TO_LTZ';

/** Functions whose result depends on the wall time of a TIMESTAMP_LTZ argument. */
const WALL_FUNCTIONS = new Set([
  'DATE_FORMAT',
  'EXTRACT',
  'YEAR',
  'QUARTER',
  'MONTH',
  'WEEK',
  'DAYOFYEAR',
  'DAYOFMONTH',
  'DAYOFWEEK',
  'HOUR',
  'MINUTE',
  'SECOND',
  'FLOOR',
  'CEIL',
  'CEILING',
]);

const isLtz = (t: SqlType) => t.kind === 'TIMESTAMP_LTZ';
const isText = (t: SqlType) => t.kind === 'CHAR' || t.kind === 'VARCHAR';
const precisionOf = (t: SqlType) => ('precision' in t && typeof t.precision === 'number' ? t.precision : 3);

/**
 * An expression compiler for a session whose 'table.local-time-zone' is not UTC. TIMESTAMP_LTZ values are instants;
 * where Flink shows or reads them as wall time of the session zone, the expressions are rewritten before compiling
 * with two conversions ($LTZ_TO_LOCAL: instant → wall time, $LOCAL_TO_LTZ: wall time → instant): CAST between
 * TIMESTAMP_LTZ and TIMESTAMP / STRING / DATE / TIME, DATE_FORMAT / EXTRACT / HOUR / FLOOR ... of a TIMESTAMP_LTZ,
 * TO_TIMESTAMP_LTZ of a string, LOCALTIMESTAMP, CURRENT_DATE, CURRENT_TIME and LOCALTIME. With UTC the compiler is
 * returned as it is.
 */
export function zoneAwareCompiler(
  functions: FunctionCatalog,
  zone: string,
  make: (functions: FunctionCatalog) => ExpressionCompiler,
): ExpressionCompiler {
  if (isUtc(zone)) return make(functions);
  const offsetAt = zoneOffset(zone);
  const toWall = (instant: number) => instant + offsetAt(instant);
  // The instant whose wall time is `wall`: the offset at (wall - offset at wall) settles it, also around changes.
  const toInstant = (wall: number) => wall - offsetAt(wall - offsetAt(wall));
  const internal = new Map([
    [TO_WALL, createUserFunction(TO_WALL, toWall).definition],
    [TO_INSTANT, createUserFunction(TO_INSTANT, toInstant).definition],
  ]);
  const catalog: FunctionCatalog = {
    scalar: (name) => (internal.get(name) as ReturnType<FunctionCatalog['scalar']>) ?? functions.scalar(name),
    aggregate: (name) => functions.aggregate(name),
    table: (name) => functions.table(name),
    names: () => functions.names(),
  };
  const inner = make(catalog);
  const wall = (r: Rex): Rex => ({
    kind: 'call',
    name: TO_WALL,
    args: [r],
    type: { kind: 'TIMESTAMP', precision: precisionOf(r.type), nullable: r.type.nullable },
  });
  const instant = (r: Rex, type: SqlType): Rex => ({ kind: 'call', name: TO_INSTANT, args: [r], type });
  const asTimestamp = (r: Rex, like: SqlType): Rex =>
    r.type.kind === 'TIMESTAMP'
      ? r
      : {
          kind: 'call',
          name: 'CAST',
          args: [r],
          type: { kind: 'TIMESTAMP', precision: precisionOf(like), nullable: r.type.nullable },
        };
  const rewriteOne = (r: Rex): Rex => {
    if (r.kind !== 'call') return r;
    const name = r.name.toUpperCase();
    const from = r.args[0]?.type;
    if ((name === 'CAST' || name === 'TRY_CAST') && from !== undefined) {
      const x = r.args[0]!;
      if (isLtz(from) && !isLtz(r.type) && r.type.kind !== 'ANY' && !isNumericKind(r.type)) {
        const w = wall(x);
        return r.type.kind === 'TIMESTAMP' ? { ...w, type: r.type } : { ...r, args: [w] };
      }
      if (isLtz(r.type) && !isLtz(from) && (from.kind === 'TIMESTAMP' || isText(from) || from.kind === 'DATE')) {
        return instant(asTimestamp(x, r.type), r.type);
      }
      return r;
    }
    if (name === 'TO_TIMESTAMP_LTZ' && from !== undefined && isText(from)) return instant({ ...r }, r.type);
    if (name === 'LOCALTIMESTAMP') return { ...wall(r), type: r.type };
    if (name === 'CURRENT_DATE' || name === 'CURRENT_TIME' || name === 'LOCALTIME') {
      const now: Rex = {
        kind: 'call',
        name: 'CURRENT_TIMESTAMP',
        args: [],
        type: { kind: 'TIMESTAMP_LTZ', precision: 3, nullable: false },
      };
      return { kind: 'call', name: 'CAST', args: [wall(now)], type: r.type };
    }
    if (WALL_FUNCTIONS.has(name) && r.args.some((a) => isLtz(a.type))) {
      const args = r.args.map((a) => (isLtz(a.type) ? wall(a) : a));
      if (!isLtz(r.type)) return { ...r, args };
      const local: SqlType = { kind: 'TIMESTAMP', precision: precisionOf(r.type), nullable: r.type.nullable };
      return instant({ ...r, args, type: local }, r.type);
    }
    return r;
  };
  const rewrite = (r: Rex): Rex => mapRex(r, rewriteOne);
  return {
    projection: (exprs, description) => inner.projection(exprs.map(rewrite), description),
    predicate: (condition, description) => inner.predicate(rewrite(condition), description),
    joinPredicate: (condition, leftWidth, description) =>
      inner.joinPredicate(rewrite(condition), leftWidth, description),
    scalar: (expr, description) => inner.scalar(rewrite(expr), description),
  };
}

function isNumericKind(t: SqlType): boolean {
  return ['TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'DECIMAL'].includes(t.kind);
}
