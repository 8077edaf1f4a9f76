import type { SqlType } from '../../types/sql-type.js';
import { SqlTypes, withNullable } from '../../types/type-factory.js';
import { compareValues } from '../../types/value-compare.js';
import { type BuiltinAggregateFunction, defineAggregate } from './aggregate-function.js';

/** MIN/MAX with retraction: the current extreme and a count per value (retracting the extreme rescans the map). */
interface ExtremeAcc {
  v: unknown;
  m: Map<unknown, number>;
}

function extreme(name: 'MIN' | 'MAX'): BuiltinAggregateFunction {
  const better =
    name === 'MIN'
      ? (a: unknown, b: unknown) => compareValues(a, b) < 0
      : (a: unknown, b: unknown) => compareValues(a, b) > 0;
  const rescan = (acc: ExtremeAcc) => {
    let best: unknown = null;
    for (const k of acc.m.keys()) if (best === null || better(k, best)) best = k;
    acc.v = best;
  };
  return defineAggregate<ExtremeAcc>({
    name,
    signatures: [`${name}(value)`],
    returnsText: 'type of the argument',
    description: name === 'MIN' ? 'Smallest non-NULL value.' : 'Greatest non-NULL value.',
    params: ['comparable'],
    returns: ([t]) => withNullable(t as SqlType, true),
    createAccumulator: () => ({ v: null, m: new Map() }),
    accumulate(acc, args) {
      const x = args[0];
      if (x === null || x === undefined) return acc;
      acc.m.set(x, (acc.m.get(x) ?? 0) + 1);
      if (acc.v === null || better(x, acc.v)) acc.v = x;
      return acc;
    },
    retract(acc, args) {
      const x = args[0];
      if (x === null || x === undefined) return acc;
      const n = (acc.m.get(x) ?? 0) - 1;
      if (n > 0) acc.m.set(x, n);
      else {
        acc.m.delete(x);
        if (compareValues(x, acc.v) === 0) rescan(acc);
      }
      return acc;
    },
    merge(acc, other) {
      for (const [k, n] of other.m) acc.m.set(k, (acc.m.get(k) ?? 0) + n);
      if (other.v !== null && (acc.v === null || better(other.v, acc.v))) acc.v = other.v;
      return acc;
    },
    getValue: (acc) => acc.v,
    appendOnly: {
      createAccumulator: () => ({ v: null }),
      accumulate(acc, args) {
        const a = acc as { v: unknown };
        const x = args[0];
        if (x !== null && x !== undefined && (a.v === null || better(x, a.v))) a.v = x;
        return a;
      },
      merge(acc, other) {
        const a = acc as { v: unknown };
        const o = (other as { v: unknown }).v;
        if (o !== null && (a.v === null || better(o, a.v))) a.v = o;
        return a;
      },
      getValue: (acc) => (acc as { v: unknown }).v,
    },
  });
}

/** FIRST_VALUE / LAST_VALUE with retraction keep the non-NULL values in arrival order. */
function firstLast(name: 'FIRST_VALUE' | 'LAST_VALUE'): BuiltinAggregateFunction {
  const first = name === 'FIRST_VALUE';
  return defineAggregate<{ l: unknown[] }>({
    name,
    signatures: [`${name}(value)`],
    returnsText: 'type of the argument',
    description: first ? 'The first non-NULL value in arrival order.' : 'The last non-NULL value in arrival order.',
    params: ['any'],
    returns: ([t]) => withNullable(t as SqlType, true),
    createAccumulator: () => ({ l: [] }),
    accumulate(acc, args) {
      const x = args[0];
      if (x !== null && x !== undefined) acc.l.push(x);
      return acc;
    },
    retract(acc, args) {
      const x = args[0];
      if (x === null || x === undefined) return acc;
      const i = acc.l.findLastIndex((y) => compareValues(x, y) === 0);
      if (i >= 0) acc.l.splice(i, 1);
      return acc;
    },
    merge(acc, other) {
      acc.l.push(...other.l);
      return acc;
    },
    getValue: (acc) => (first ? acc.l[0] : acc.l[acc.l.length - 1]) ?? null,
    appendOnly: {
      createAccumulator: () => ({ v: null }),
      accumulate(acc, args) {
        const a = acc as { v: unknown };
        const x = args[0];
        if (x !== null && x !== undefined && (!first || a.v === null)) a.v = x;
        return a;
      },
      merge(acc, other) {
        const a = acc as { v: unknown };
        const o = (other as { v: unknown }).v;
        if (o !== null && (!first || a.v === null)) a.v = o;
        return a;
      },
      getValue: (acc) => (acc as { v: unknown }).v,
    },
  });
}

function bool(name: 'BOOL_AND' | 'BOOL_OR'): BuiltinAggregateFunction {
  return defineAggregate<[number, number]>({
    name,
    signatures: [`${name}(boolean)`],
    returnsText: 'BOOLEAN',
    description: name === 'BOOL_AND' ? 'TRUE when every non-NULL value is TRUE.' : 'TRUE when some value is TRUE.',
    params: ['boolean'],
    returns: () => SqlTypes.boolean(true),
    createAccumulator: () => [0, 0],
    accumulate(acc, args) {
      if (args[0] === true) acc[0]++;
      else if (args[0] === false) acc[1]++;
      return acc;
    },
    retract(acc, args) {
      if (args[0] === true) acc[0]--;
      else if (args[0] === false) acc[1]--;
      return acc;
    },
    merge(acc, other) {
      acc[0] += other[0];
      acc[1] += other[1];
      return acc;
    },
    getValue: ([t, f]) => (t + f === 0 ? null : name === 'BOOL_AND' ? f === 0 : t > 0),
  });
}

/** MIN, MAX, FIRST_VALUE, LAST_VALUE, LISTAGG, COLLECT, BOOL_AND, BOOL_OR. */
export const VALUE_AGGREGATES: readonly BuiltinAggregateFunction[] = [
  extreme('MIN'),
  extreme('MAX'),
  firstLast('FIRST_VALUE'),
  firstLast('LAST_VALUE'),
  defineAggregate<{ l: string[]; s: string }>({
    name: 'LISTAGG',
    signatures: ["LISTAGG(string[, separator = ','])"],
    returnsText: 'STRING',
    description: 'The non-NULL values joined with separator in arrival order; NULL when there are none.',
    params: ['string', '?string'],
    returns: () => SqlTypes.string(true),
    createAccumulator: () => ({ l: [], s: ',' }),
    accumulate(acc, args) {
      const x = args[0];
      if (args.length > 1 && typeof args[1] === 'string') acc.s = args[1];
      if (x !== null && x !== undefined) acc.l.push(String(x));
      return acc;
    },
    retract(acc, args) {
      const x = args[0];
      if (x === null || x === undefined) return acc;
      const i = acc.l.lastIndexOf(String(x));
      if (i >= 0) acc.l.splice(i, 1);
      return acc;
    },
    merge(acc, other) {
      acc.l.push(...other.l);
      return acc;
    },
    getValue: (acc) => (acc.l.length === 0 ? null : acc.l.join(acc.s)),
  }),
  defineAggregate<Map<unknown, number>>({
    name: 'COLLECT',
    signatures: ['COLLECT(value)'],
    returnsText: 'MULTISET<type of the argument>',
    description: 'The multiset of the non-NULL values (a Map of value to count).',
    params: ['any'],
    returns: ([t]) => SqlTypes.multiset(t as SqlType, false),
    createAccumulator: () => new Map(),
    accumulate(acc, args) {
      const x = args[0];
      if (x !== null && x !== undefined) acc.set(x, (acc.get(x) ?? 0) + 1);
      return acc;
    },
    retract(acc, args) {
      const x = args[0];
      if (x === null || x === undefined) return acc;
      const n = (acc.get(x) ?? 0) - 1;
      if (n > 0) acc.set(x, n);
      else acc.delete(x);
      return acc;
    },
    merge(acc, other) {
      for (const [k, n] of other) acc.set(k, (acc.get(k) ?? 0) + n);
      return acc;
    },
    getValue: (acc) => new Map(acc),
  }),
  bool('BOOL_AND'),
  bool('BOOL_OR'),
];
