import { COLUMN_OFFSET, type Row } from '../runtime/row.js';
import type { AggregateCall } from './common.js';
import { sqlKeyValue } from './sql-key.js';

/** The accumulator of a DISTINCT call: how often each distinct argument list was seen, and the inner accumulator. */
interface DistinctAccumulator {
  /** Distinct argument lists by their key: [arguments, count]. Entries are replaced, never changed in place. */
  seen: Map<string, [readonly unknown[], number]>;
  acc: unknown;
}

function distinctKey(args: readonly unknown[]): string {
  const k = args.length === 1 ? sqlKeyValue(args[0]) : args.map(sqlKeyValue);
  return typeof k === 'string' ? `s${k}` : typeof k === 'bigint' ? `n${k}` : JSON.stringify(k, bigints);
}

function bigints(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

/**
 * The aggregate calls of one SQL aggregation, evaluated together over an accumulator array (one slot per call).
 * Honours FILTER (a row counts only when its filter column is TRUE) and DISTINCT (the inner accumulator sees each
 * distinct argument list once; a per-value count makes retraction and merging exact).
 * Accumulator arrays are plain data (arrays, objects, Maps) that survive checkpoints. `merge` never changes its
 * second argument nor shares mutable parts with it, as window slices and sessions require.
 */
export class AggregateCalls {
  private readonly argSlots: readonly (readonly number[])[];
  private readonly filterSlots: readonly number[];
  /** True when every function can merge accumulators (sessions, window slicing). */
  readonly mergeable: boolean;
  /** True when every function can retract (bounded OVER frames without recomputation). */
  readonly retractable: boolean;

  /**
   * `base` reserves that many leading slots of every accumulator array for the caller (e.g. the group's key values);
   * call i's accumulator is at `base + i`.
   */
  constructor(
    readonly calls: readonly AggregateCall[],
    private readonly base = 0,
  ) {
    this.argSlots = calls.map((c) => c.argIndices.map((i) => i + COLUMN_OFFSET));
    this.filterSlots = calls.map((c) => (c.filterIndex === undefined ? -1 : c.filterIndex + COLUMN_OFFSET));
    this.mergeable = calls.every((c) => c.function.mergeable && c.function.merge !== undefined);
    this.retractable = calls.every((c) => c.function.retractable && c.function.retract !== undefined);
  }

  /** A fresh accumulator array. */
  create(): unknown[] {
    const accs = new Array<unknown>(this.base).fill(undefined);
    for (const c of this.calls) {
      const acc = c.function.createAccumulator();
      accs.push(c.distinct ? ({ seen: new Map(), acc } satisfies DistinctAccumulator) : acc);
    }
    return accs;
  }

  private args(i: number, row: Row): unknown[] | undefined {
    const f = this.filterSlots[i]!;
    if (f >= 0 && row[f] !== true) return undefined;
    const slots = this.argSlots[i]!;
    const args = new Array<unknown>(slots.length);
    for (let j = 0; j < slots.length; j++) args[j] = row[slots[j]!];
    return args;
  }

  /** Adds one row to every call; returns `accs` (changed in place). */
  add(accs: unknown[], row: Row): unknown[] {
    const calls = this.calls;
    for (let i = 0; i < calls.length; i++) {
      const args = this.args(i, row);
      if (args === undefined) continue;
      const c = calls[i]!;
      const a = this.base + i;
      if (!c.distinct) {
        accs[a] = c.function.accumulate(accs[a], args);
        continue;
      }
      const d = accs[a] as DistinctAccumulator;
      const k = distinctKey(args);
      const e = d.seen.get(k);
      if (e === undefined) d.acc = c.function.accumulate(d.acc, args);
      d.seen.set(k, [args, (e?.[1] ?? 0) + 1]);
    }
    return accs;
  }

  /** Removes one row from every call (only when {@link retractable}); returns `accs`. */
  retract(accs: unknown[], row: Row): unknown[] {
    const calls = this.calls;
    for (let i = 0; i < calls.length; i++) {
      const args = this.args(i, row);
      if (args === undefined) continue;
      const c = calls[i]!;
      const a = this.base + i;
      if (!c.distinct) {
        accs[a] = c.function.retract!(accs[a], args);
        continue;
      }
      const d = accs[a] as DistinctAccumulator;
      const k = distinctKey(args);
      const e = d.seen.get(k);
      if (e === undefined) continue;
      if (e[1] > 1) d.seen.set(k, [e[0], e[1] - 1]);
      else {
        d.seen.delete(k);
        d.acc = c.function.retract!(d.acc, args);
      }
    }
    return accs;
  }

  /** Folds `other` into `accs` (only when {@link mergeable}); returns `accs`. */
  merge(accs: unknown[], other: readonly unknown[]): unknown[] {
    const calls = this.calls;
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i]!;
      const a = this.base + i;
      if (!c.distinct) {
        accs[a] = c.function.merge!(accs[a], other[a]);
        continue;
      }
      const d = accs[a] as DistinctAccumulator;
      for (const [k, [args, n]] of (other[a] as DistinctAccumulator).seen) {
        const e = d.seen.get(k);
        if (e === undefined) d.acc = c.function.accumulate(d.acc, args);
        d.seen.set(k, [args, (e?.[1] ?? 0) + n]);
      }
    }
    return accs;
  }

  /** The current value of every call, in call order. */
  values(accs: readonly unknown[]): unknown[] {
    const calls = this.calls;
    const out = new Array<unknown>(calls.length);
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i]!;
      const a = accs[this.base + i];
      out[i] = c.function.getValue(c.distinct ? (a as DistinctAccumulator).acc : a);
    }
    return out;
  }
}
