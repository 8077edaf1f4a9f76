import type { DataStream } from '../../api/data-stream.js';
import type {
  Collector,
  KeyedContext,
  OnTimerContext,
  RuntimeContext,
  TimestampedEmitter,
} from '../../functions/context.js';
import type { KeyedCoProcessFunction } from '../../functions/functions.js';
import { mapState } from '../../state/descriptors.js';
import type { MapState } from '../../state/state.js';
import { COLUMN_OFFSET, type Row, RowKind } from '../runtime/row.js';
import type { SqlOperatorOptions } from './common.js';
import type { JoinType } from './regular-join.js';
import { hasNullKey, sqlKeySelector } from './sql-key.js';

/** A buffered row and whether it has joined (outer joins pad the rows that never did). Replaced, never mutated. */
type Entry = readonly [row: Row, matched: boolean];

/**
 * Interval join of two insert-only inputs on equal keys where the right row's time lies within
 * [left time + lowerBound, left time + upperBound] (ms, bounds inclusive; Flink's rules for deriving them from
 * BETWEEN / >= / <= / < / > conditions live in the planner). `leftTimeIndex` / `rightTimeIndex` are the rowtime
 * columns (event time) or proctime columns. Emits [left..., right...] INSERTs as matches appear; outer joins emit
 * the NULL-padded row once the watermark proves no match can come. Rows are dropped from state when the
 * watermark passes their last possible match.
 *
 * Flink's TimeIntervalJoin, with eager clean-up. With watermark W: a left row at l is kept while W < l + upper + 1
 * and a right row at r while W < r - lower + 1 (event-time timers remove them, padding outer rows that never
 * matched). A new row joins the buffered rows of the other side in its interval, and is itself buffered unless the
 * other side can no longer bring a match (left: W >= l + upper; right: W >= r - lower), in which case an outer row
 * without match is padded at once. Rows are never refused as late: a row behind the watermark joins what is still
 * buffered, so for input whose rows arrive at or after the watermark the result is the full nested-loop join.
 * Flink removes expired rows lazily, so its answer for rows behind the watermark may include a few more pairs.
 * A NULL key equals nothing. Processing time (`leftTimeIndex`/`rightTimeIndex` are materialised proctime
 * columns): pairs are matched on the columns' values the same way, but without a watermark rows stay buffered (and
 * outer rows unpadded) until the input ends.
 *
 * Output records carry the left row's time (the right's for right-padded rows, whose left columns are NULL): the
 * record timestamp of a SQL relation is the value of its rowtime column, and both time columns stay time
 * attributes after an interval join (as in Flink, whose SQL windows read the column, not the record timestamp;
 * the DataStream interval join's max(left, right) matches neither column). A planner windowing on the right's
 * time column re-stamps the rows from that column first. The output watermark is held back by
 * {@link intervalJoinWatermarkDelay}, so joined rows are not late for event-time operators downstream.
 */
export function intervalJoin(
  left: DataStream<Row>,
  right: DataStream<Row>,
  joinType: Exclude<JoinType, 'SEMI' | 'ANTI'>,
  leftKeys: readonly number[],
  rightKeys: readonly number[],
  leftTimeIndex: number,
  rightTimeIndex: number,
  lowerBound: number,
  upperBound: number,
  leftWidth: number,
  rightWidth: number,
  condition: ((left: Row, right: Row) => boolean) | undefined,
  options: SqlOperatorOptions,
): DataStream<Row> {
  if (lowerBound > upperBound) {
    throw new RangeError(`${options.name}: interval join lower bound ${lowerBound} exceeds upper bound ${upperBound}`);
  }
  const fn = new IntervalJoinFunction(
    joinType,
    leftKeys,
    rightKeys,
    leftTimeIndex + COLUMN_OFFSET,
    rightTimeIndex + COLUMN_OFFSET,
    lowerBound,
    upperBound,
    leftWidth,
    rightWidth,
    condition,
  );
  const out = left
    .keyBy(sqlKeySelector(leftKeys))
    .connect(right.keyBy(sqlKeySelector(rightKeys)))
    .process<Row>(fn, options.name)
    .uid(options.uid)
    .holdBackWatermarks(intervalJoinWatermarkDelay(joinType, lowerBound, upperBound));
  if (options.parallelism !== undefined) out.setParallelism(options.parallelism);
  return out;
}

/**
 * How far the interval join holds its output watermark behind its input watermark (Flink's watermark delay of
 * interval joins), so that what it emits behind the input watermark is not late downstream on either time column.
 * A pair made when its right row r arrives carries a left time down to r - upperBound; one made when its left row
 * l arrives a right time down to l + lowerBound: max(upperBound, -lowerBound). Outer joins add 1 ms on the side
 * they pad, since a padded row is emitted by the timer one past the end of its row's interval (Flink's cleanup
 * timing, where its padded rows can be late). Then every output row of input rows after their input watermark is
 * after the output watermark. Never negative.
 */
export function intervalJoinWatermarkDelay(
  joinType: Exclude<JoinType, 'SEMI' | 'ANTI'>,
  lowerBound: number,
  upperBound: number,
): number {
  const leftPad = joinType === 'LEFT' || joinType === 'FULL' ? 1 : 0;
  const rightPad = joinType === 'RIGHT' || joinType === 'FULL' ? 1 : 0;
  return Math.max(0, upperBound + leftPad, -lowerBound + rightPad);
}

class IntervalJoinFunction implements KeyedCoProcessFunction<unknown, Row, Row, Row> {
  private lefts!: MapState<number, Entry[]>;
  private rights!: MapState<number, Entry[]>;
  private readonly leftOuter: boolean;
  private readonly rightOuter: boolean;
  private readonly leftPad: unknown[];
  private readonly rightPad: unknown[];
  constructor(
    joinType: Exclude<JoinType, 'SEMI' | 'ANTI'>,
    private readonly leftKeys: readonly number[],
    private readonly rightKeys: readonly number[],
    private readonly leftTimeSlot: number,
    private readonly rightTimeSlot: number,
    private readonly lower: number,
    private readonly upper: number,
    leftWidth: number,
    rightWidth: number,
    private readonly condition: ((left: Row, right: Row) => boolean) | undefined,
  ) {
    this.leftOuter = joinType === 'LEFT' || joinType === 'FULL';
    this.rightOuter = joinType === 'RIGHT' || joinType === 'FULL';
    this.leftPad = new Array<unknown>(leftWidth).fill(null);
    this.rightPad = new Array<unknown>(rightWidth).fill(null);
  }

  open(ctx: RuntimeContext): void {
    this.lefts = ctx.getMapState(mapState<number, Entry[]>('interval-join-left'));
    this.rights = ctx.getMapState(mapState<number, Entry[]>('interval-join-right'));
  }

  private static time(row: Row, slot: number): number {
    const t = row[slot];
    if (typeof t !== 'number') throw new TypeError(`interval join: the time column is ${String(t)}, not a timestamp`);
    return t;
  }

  private emit(ctx: KeyedContext<unknown>, row: Row, ts: number): void {
    (ctx as unknown as TimestampedEmitter).collectWithTimestamp(row, ts);
  }

  private pair(l: Row, r: Row): Row {
    const out = l.slice();
    out[0] = RowKind.INSERT;
    for (let i = COLUMN_OFFSET; i < r.length; i++) out.push(r[i]);
    return out;
  }

  private padLeft(l: Row): Row {
    const out = l.slice();
    out[0] = RowKind.INSERT;
    out.push(...this.rightPad);
    return out;
  }

  private padRight(r: Row): Row {
    return [RowKind.INSERT, ...this.leftPad, ...r.slice(COLUMN_OFFSET)];
  }

  /** Event-time or processing-time progress, whichever the time columns are. */
  private progress(ctx: KeyedContext<unknown>): number {
    return ctx.timerService().currentWatermark();
  }

  processElement1(l: Row, ctx: KeyedContext<unknown>): void {
    const t = IntervalJoinFunction.time(l, this.leftTimeSlot);
    const wm = this.progress(ctx);
    let matched = false;
    if (!hasNullKey(l, this.leftKeys)) {
      for (const [rt, entries] of this.rights.entries()) {
        if (rt < t + this.lower || rt > t + this.upper) continue;
        let changed: Entry[] | undefined;
        for (let i = 0; i < entries.length; i++) {
          const [r, rMatched] = entries[i]!;
          if (this.condition !== undefined && !this.condition(l, r)) continue;
          matched = true;
          this.emit(ctx, this.pair(l, r), t);
          if (!rMatched && this.rightOuter) (changed ??= entries.slice())[i] = [r, true];
        }
        if (changed !== undefined) this.rights.put(rt, changed);
      }
    }
    if (wm < t + this.upper && !hasNullKey(l, this.leftKeys)) {
      this.lefts.put(t, [...(this.lefts.get(t) ?? []), [l, matched]]);
      ctx.timerService().registerEventTimeTimer(t + this.upper + 1);
    } else if (!matched && this.leftOuter) this.emit(ctx, this.padLeft(l), t);
  }

  processElement2(r: Row, ctx: KeyedContext<unknown>): void {
    const t = IntervalJoinFunction.time(r, this.rightTimeSlot);
    const wm = this.progress(ctx);
    let matched = false;
    if (!hasNullKey(r, this.rightKeys)) {
      for (const [lt, entries] of this.lefts.entries()) {
        if (t < lt + this.lower || t > lt + this.upper) continue;
        let changed: Entry[] | undefined;
        for (let i = 0; i < entries.length; i++) {
          const [l, lMatched] = entries[i]!;
          if (this.condition !== undefined && !this.condition(l, r)) continue;
          matched = true;
          this.emit(ctx, this.pair(l, r), lt);
          if (!lMatched && this.leftOuter) (changed ??= entries.slice())[i] = [l, true];
        }
        if (changed !== undefined) this.lefts.put(lt, changed);
      }
    }
    if (wm < t - this.lower && !hasNullKey(r, this.rightKeys)) {
      this.rights.put(t, [...(this.rights.get(t) ?? []), [r, matched]]);
      ctx.timerService().registerEventTimeTimer(t - this.lower + 1);
    } else if (!matched && this.rightOuter) this.emit(ctx, this.padRight(r), t);
  }

  onTimer(time: number, ctx: OnTimerContext<unknown>, _out: Collector<Row>): void {
    for (const lt of this.lefts.keys()) {
      if (lt + this.upper + 1 > time) continue;
      if (this.leftOuter) for (const [l, m] of this.lefts.get(lt)!) if (!m) this.emit(ctx, this.padLeft(l), lt);
      this.lefts.remove(lt);
    }
    for (const rt of this.rights.keys()) {
      if (rt - this.lower + 1 > time) continue;
      if (this.rightOuter) for (const [r, m] of this.rights.get(rt)!) if (!m) this.emit(ctx, this.padRight(r), rt);
      this.rights.remove(rt);
    }
  }
}
