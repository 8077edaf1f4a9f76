import type { Key } from '../../core/key.js';
import type { Collector, KeyedContext, RuntimeContext } from '../../functions/context.js';
import type { KeyedProcessFunction } from '../../functions/functions.js';
import { valueState } from '../../state/descriptors.js';
import type { ValueState } from '../../state/state.js';
import { isAccumulate, type Row, RowKind, withKind } from '../runtime/row.js';
import type { ttlOptions } from './common.js';
import type { RankSpec } from './rank.js';
import { rowComparator } from './row-order.js';
import { encodeRow } from './value-encoding.js';

const noop = () => {};

/** A row inside the rank range with its rank number. */
interface Ranked {
  row: Row;
  rank: number;
}

/** The plan of a Top-N, shared by the parallel copies of its function (a class instance is not copied). */
export class TopNSpec {
  readonly compare: (a: Row, b: Row) => number;
  constructor(
    readonly spec: RankSpec,
    /** Insert-only input: rows that can no longer reach the range are dropped (Flink's AppendOnlyTopN). */
    readonly appendOnly: boolean,
    readonly ttl: ReturnType<typeof ttlOptions>,
  ) {
    this.compare = rowComparator(spec.sortKeys);
  }

  /** First index whose row sorts after `row` (ties keep arrival order: a new row goes after its equals). */
  upperBound(rows: readonly Row[], row: Row): number {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(rows[mid]!, row) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose row does not sort before `row`. */
  lowerBound(rows: readonly Row[], row: Row): number {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(rows[mid]!, row) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Walks the sorted rows with their rank numbers until the rank passes `rankEnd`; calls `visit` for every row with
   * rank <= rankEnd and returns how many rows that is.
   */
  walk(rows: readonly Row[], visit: (row: Row, rank: number) => void): number {
    const { function: fn, rankEnd } = this.spec;
    let rank = 0;
    let i = 0;
    for (; i < rows.length; i++) {
      const row = rows[i]!;
      if (fn === 'ROW_NUMBER') rank = i + 1;
      else if (i === 0 || this.compare(rows[i - 1]!, row) !== 0) rank = fn === 'RANK' ? i + 1 : rank + 1;
      if (rank > rankEnd) break;
      visit(row, rank);
    }
    return i;
  }

  /** The rows inside [rankStart, rankEnd] with their ranks. */
  view(rows: readonly Row[]): Ranked[] {
    const start = this.spec.rankStart;
    const out: Ranked[] = [];
    this.walk(rows, (row, rank) => {
      if (rank >= start) out.push({ row, rank });
    });
    return out;
  }

  output(kind: number, r: Ranked): Row {
    const row = withKind(r.row, kind);
    if (this.spec.outputRankNumber) row.push(r.rank);
    return row;
  }

  /**
   * Emits the difference between two views of a partition. With rank numbers the result is keyed by (partition,
   * rank): a rank whose row changed emits UPDATE_BEFORE/UPDATE_AFTER, as Flink's RetractableTopNFunction does;
   * otherwise rows leaving the range are DELETEs and rows entering it INSERTs.
   */
  diff(before: readonly Ranked[], after: readonly Ranked[], out: Collector<Row>): void {
    const withRank = this.spec.outputRankNumber;
    const id = (r: Ranked) => (withRank ? `${r.rank}|${encodeRow(r.row)}` : encodeRow(r.row));
    const remaining = new Map<string, number>();
    for (const r of before) remaining.set(id(r), (remaining.get(id(r)) ?? 0) + 1);
    const added: Ranked[] = [];
    for (const r of after) {
      const k = id(r);
      const n = remaining.get(k) ?? 0;
      if (n > 0) remaining.set(k, n - 1);
      else added.push(r);
    }
    const removed: Ranked[] = [];
    for (const r of before) {
      const k = id(r);
      const n = remaining.get(k) ?? 0;
      if (n > 0) {
        remaining.set(k, n - 1);
        removed.push(r);
      }
    }
    if (!withRank) {
      for (const r of removed) out.collect(this.output(RowKind.DELETE, r));
      for (const r of added) out.collect(this.output(RowKind.INSERT, r));
      return;
    }
    const addedByRank = new Map<number, Ranked[]>();
    for (const r of added) {
      const list = addedByRank.get(r.rank);
      if (list === undefined) addedByRank.set(r.rank, [r]);
      else list.push(r);
    }
    for (const r of removed) {
      const next = addedByRank.get(r.rank)?.shift();
      if (next === undefined) out.collect(this.output(RowKind.DELETE, r));
      else {
        out.collect(this.output(RowKind.UPDATE_BEFORE, r));
        out.collect(this.output(RowKind.UPDATE_AFTER, next));
      }
    }
    for (const list of addedByRank.values()) for (const r of list) out.collect(this.output(RowKind.INSERT, r));
  }
}

/**
 * Top-N over a changelog: per partition the rows sorted by the sort keys (ties in arrival order), all of them for
 * an updating input (a retraction may bring a lower row back into the range), only those that can still be in the
 * range for an insert-only input. Each change emits the difference of the range before and after.
 */
export class TopNFunction implements KeyedProcessFunction<Key, Row, Row> {
  private state!: ValueState<Row[]>;

  constructor(private readonly topN: TopNSpec) {}

  open(ctx: RuntimeContext): void {
    this.state = ctx.getState(valueState<Row[]>('top-n', this.topN.ttl));
  }

  processElement(row: Row, _ctx: KeyedContext<Key>, out: Collector<Row>): void {
    const t = this.topN;
    const accumulate = isAccumulate(row[0] as number);
    const stored = this.state.value();
    if (stored === undefined && !accumulate) return;
    const rows = stored ?? [];
    let at: number;
    if (accumulate) {
      at = t.upperBound(rows, row);
    } else {
      // The first stored row equal to it (Flink retracts the earliest of equal rows).
      const enc = encodeRow(row);
      at = t.lowerBound(rows, row);
      while (at < rows.length && t.compare(rows[at]!, row) === 0 && encodeRow(rows[at]!) !== enc) at++;
      if (at >= rows.length || t.compare(rows[at]!, row) !== 0) return;
    }
    // Ranks depend only on the rows before: a change after every ranked row changes nothing visible.
    const ranked = t.walk(rows, noop);
    const visible = accumulate ? at <= ranked : at < ranked;
    if (!visible && t.appendOnly) return;
    const before = visible ? t.view(rows) : undefined;
    if (stored !== undefined) this.state.update(rows); // announce the in-place change (copy-on-write)
    if (accumulate) rows.splice(at, 0, withKind(row, RowKind.INSERT));
    else rows.splice(at, 1);
    if (t.appendOnly) {
      const keep = t.walk(rows, noop);
      if (keep < rows.length) rows.length = keep;
    }
    if (rows.length === 0) this.state.clear();
    else this.state.update(rows);
    if (before !== undefined) t.diff(before, t.view(rows), out);
  }
}
