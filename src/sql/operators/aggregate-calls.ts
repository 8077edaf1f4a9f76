import { COLUMN_OFFSET, type Row } from '../runtime/row.js';
import type { AggregateCall } from './common.js';
import { encodeValues } from './value-encoding.js';

/**
 * The accumulator of a DISTINCT call: how often each distinct argument list was seen (by its encoding), the inner
 * accumulator, and — only when accumulators may be merged — the argument lists themselves, which a merge feeds to
 * the inner accumulator. Entries are replaced, never changed in place.
 */
interface DistinctAccumulator {
  seen: Map<string, number>;
  args?: Map<string, readonly unknown[]>;
  acc: unknown;
}

/**
 * The aggregate calls of one SQL aggregation, evaluated together over an accumulator array (one slot per call).
 * Honours FILTER (a row counts only when its filter column is TRUE) and DISTINCT (the inner accumulator sees each
 * distinct argument list once; a per-value count makes retraction and merging exact).
 * Accumulator arrays are plain data (arrays, objects, Maps) that survive checkpoints. `merge` never changes its
 * second argument nor shares mutable parts with it, as window slices and sessions require.
 * Used by every SQL aggregation: GROUP BY, window aggregates and OVER.
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
   * call i's accumulator is at `base + i`. `merging`: {@link merge} will be called, so DISTINCT accumulators keep
   * their argument lists (otherwise only counts, which is all adding and retracting need).
   */
  constructor(
    readonly calls: readonly AggregateCall[],
    private readonly base = 0,
    private readonly merging = false,
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
      if (!c.distinct) accs.push(acc);
      else
        accs.push(
          (this.merging
            ? { seen: new Map(), args: new Map(), acc }
            : { seen: new Map(), acc }) satisfies DistinctAccumulator,
        );
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
      const k = encodeValues(args);
      const n = d.seen.get(k) ?? 0;
      if (n === 0) {
        d.acc = c.function.accumulate(d.acc, args);
        d.args?.set(k, args);
      }
      d.seen.set(k, n + 1);
    }
    return accs;
  }

  /**
   * Removes one row from every call; returns `accs`. A DISTINCT argument list never added is ignored. Throws,
   * naming the function, when a call that the row counts for cannot retract (see {@link retractable}).
   */
  retract(accs: unknown[], row: Row): unknown[] {
    const calls = this.calls;
    for (let i = 0; i < calls.length; i++) {
      const args = this.args(i, row);
      if (args === undefined) continue;
      const c = calls[i]!;
      const a = this.base + i;
      if (!c.distinct) {
        accs[a] = retractCall(c, accs[a], args);
        continue;
      }
      const d = accs[a] as DistinctAccumulator;
      const k = encodeValues(args);
      const n = d.seen.get(k) ?? 0;
      if (n === 0) continue;
      if (n > 1) d.seen.set(k, n - 1);
      else {
        d.seen.delete(k);
        d.args?.delete(k);
        d.acc = retractCall(c, d.acc, args);
      }
    }
    return accs;
  }

  /** Folds `other` into `accs` (only when {@link mergeable} and built `merging`); returns `accs`. */
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
      const o = other[a] as DistinctAccumulator;
      for (const [k, n] of o.seen) {
        const m = d.seen.get(k) ?? 0;
        if (m === 0) {
          const args = o.args!.get(k)!;
          d.acc = c.function.accumulate(d.acc, args);
          d.args!.set(k, args);
        }
        d.seen.set(k, m + n);
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

/** The call's retract, or an error naming the function when it has none (the planner refuses that case first). */
function retractCall(c: AggregateCall, acc: unknown, args: readonly unknown[]): unknown {
  const f = c.function;
  if (f.retract === undefined) {
    throw new Error(`aggregate function ${f.name} cannot retract, but its input is an updating changelog`);
  }
  return f.retract(acc, args);
}
