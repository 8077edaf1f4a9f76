import type { DataStream } from '../../api/data-stream.js';
import type { Collector, Counter, KeyedContext, OnTimerContext, RuntimeContext } from '../../functions/context.js';
import type { KeyedProcessFunction } from '../../functions/functions.js';
import { NUM_LATE_RECORDS_DROPPED } from '../../runtime/operator-metrics.js';
import { type AggregateFunction, aggregatingState, mapState, valueState } from '../../state/descriptors.js';
import type { AggregatingState, MapState, ValueState } from '../../state/state.js';
import { COLUMN_OFFSET, type Row, RowKind } from '../runtime/row.js';
import { AggregateCalls } from './aggregate-calls.js';
import type { AggregateCall, SqlOperatorOptions } from './common.js';
import { sqlKeySelector } from './sql-key.js';

type Frame =
  | { readonly unit: 'ROWS'; readonly precedingRows?: number }
  | { readonly unit: 'RANGE'; readonly precedingMs?: number };

/**
 * OVER aggregation (Flink's restrictions: ORDER BY one time attribute ascending; frame ROWS or RANGE from
 * UNBOUNDED or N PRECEDING to CURRENT ROW). Event time: rows are buffered until the watermark passes them, then
 * processed in timestamp order; rows with equal time form one RANGE peer group. Emits each input row with its
 * aggregate values appended, as an INSERT. `precedingRows` / `precedingMs` absent = UNBOUNDED PRECEDING.
 *
 * Keyed by the partition columns. Event time follows Flink's row-time OVER functions: a row whose time is not after
 * the last time its partition already processed is late, dropped and counted (`numLateRecordsDropped`); other rows
 * wait in keyed state for an event-time timer at their time and are emitted with that record timestamp. Rows of
 * equal time keep their arrival order (ROWS frames count them in that order). Bounded frames retract rows leaving
 * the frame when every function can retract, else recompute over the frame. Processing time: each row is processed
 * on arrival at the current processing time (a RANGE frame then spans processing times; peers are not grouped).
 */
export function overAggregate(
  input: DataStream<Row>,
  partitionIndices: readonly number[],
  timeIndex: number,
  eventTime: boolean,
  frame: Frame,
  calls: readonly AggregateCall[],
  options: SqlOperatorOptions,
): DataStream<Row> {
  const preceding = frame.unit === 'ROWS' ? frame.precedingRows : frame.precedingMs;
  if (preceding !== undefined && !(preceding >= 0)) throw new RangeError(`${options.name}: PRECEDING must be >= 0`);
  const fn = new OverFunction(new AggregateCalls(calls), frame.unit, preceding, eventTime, timeIndex + COLUMN_OFFSET);
  const out = input.keyBy(sqlKeySelector(partitionIndices)).process<Row>(fn, options.name).uid(options.uid);
  if (options.parallelism !== undefined) out.setParallelism(options.parallelism);
  return out;
}

/** What the accumulator state folds in: a row to add, or one to retract. */
type Change = readonly [row: Row, retract: boolean];

class OverFunction implements KeyedProcessFunction<unknown, Row, Row> {
  /** Rows waiting for the watermark, by time. */
  private pending!: MapState<number, Row[]>;
  /** The last time processed (event time). */
  private last!: ValueState<number>;
  /** The running accumulator (unbounded frames, and bounded ones when every function retracts). */
  private acc!: AggregatingState<Change, unknown[]>;
  /** Bounded ROWS: the frame's rows before the next one, oldest first. */
  private frameRows!: ValueState<Row[]>;
  /** Bounded RANGE: the rows processed that a later frame may still contain, by time. */
  private frameByTime!: MapState<number, Row[]>;
  private dropped!: Counter;
  private readonly recompute: boolean;

  constructor(
    private readonly calls: AggregateCalls,
    private readonly unit: 'ROWS' | 'RANGE',
    private readonly preceding: number | undefined,
    private readonly eventTime: boolean,
    private readonly timeSlot: number,
  ) {
    this.recompute = preceding !== undefined && !calls.retractable;
  }

  open(ctx: RuntimeContext): void {
    const calls = this.calls;
    const fold: AggregateFunction<Change, unknown[], unknown[]> = {
      createAccumulator: () => calls.create(),
      add: ([row, retract], acc) => (retract ? calls.retract(acc, row) : calls.add(acc, row)),
      getResult: (acc) => calls.values(acc),
    };
    this.pending = ctx.getMapState(mapState<number, Row[]>('over-pending'));
    this.last = ctx.getState(valueState<number>('over-last-time'));
    this.acc = ctx.getAggregatingState(aggregatingState('over-accumulator', fold));
    this.frameRows = ctx.getState(valueState<Row[]>('over-frame-rows'));
    this.frameByTime = ctx.getMapState(mapState<number, Row[]>('over-frame-by-time'));
    this.dropped = ctx.getMetricGroup().counter(NUM_LATE_RECORDS_DROPPED);
  }

  processElement(row: Row, ctx: KeyedContext<unknown>, out: Collector<Row>): void {
    if (!this.eventTime) {
      this.process(ctx.timerService().currentProcessingTime(), [row], out);
      return;
    }
    const t = row[this.timeSlot];
    if (typeof t !== 'number') throw new TypeError(`OVER aggregate: the rowtime is ${String(t)}, not a timestamp`);
    const last = this.last.value();
    if (last !== undefined && t <= last) {
      this.dropped.inc();
      return;
    }
    this.pending.put(t, [...(this.pending.get(t) ?? []), row]);
    ctx.timerService().registerEventTimeTimer(t);
  }

  onTimer(time: number, _ctx: OnTimerContext<unknown>, out: Collector<Row>): void {
    const rows = this.pending.get(time);
    if (rows === undefined) return;
    this.pending.remove(time);
    this.last.update(time);
    this.process(time, rows, out);
  }

  /** Processes the rows of one time, in arrival order. */
  private process(time: number, rows: readonly Row[], out: Collector<Row>): void {
    if (this.unit === 'RANGE') this.processRange(time, rows, out);
    else if (this.preceding === undefined) {
      for (const row of rows) {
        this.acc.add([row, false]);
        out.collect(appended(row, this.acc.get()!));
      }
    } else this.processRows(rows, this.preceding, out);
  }

  private processRange(time: number, rows: readonly Row[], out: Collector<Row>): void {
    const p = this.preceding;
    if (p !== undefined) {
      for (const t of this.frameByTime.keys()) {
        if (t >= time - p) continue;
        if (!this.recompute) for (const old of this.frameByTime.get(t)!) this.acc.add([old, true]);
        this.frameByTime.remove(t);
      }
      this.frameByTime.put(time, [...(this.frameByTime.get(time) ?? []), ...rows]);
    }
    let values: unknown[];
    if (this.recompute) {
      const acc = this.calls.create();
      for (const list of this.frameByTime.values()) for (const r of list) this.calls.add(acc, r);
      values = this.calls.values(acc);
    } else {
      for (const row of rows) this.acc.add([row, false]);
      values = this.acc.get()!;
    }
    for (const row of rows) out.collect(appended(row, values));
  }

  private processRows(rows: readonly Row[], n: number, out: Collector<Row>): void {
    let frame = this.frameRows.value() ?? [];
    for (const row of rows) {
      frame = [...frame, row];
      const leaving = frame.length > n + 1 ? frame[0] : undefined;
      if (leaving !== undefined) frame = frame.slice(1);
      let values: unknown[];
      if (this.recompute) {
        const acc = this.calls.create();
        for (const r of frame) this.calls.add(acc, r);
        values = this.calls.values(acc);
      } else {
        this.acc.add([row, false]);
        if (leaving !== undefined) this.acc.add([leaving, true]);
        values = this.acc.get()!;
      }
      out.collect(appended(row, values));
    }
    // The frame as the accumulator holds it: the last row and its n predecessors.
    this.frameRows.update(frame);
  }
}

function appended(row: Row, values: readonly unknown[]): Row {
  const r = row.slice();
  r[0] = RowKind.INSERT;
  for (const v of values) r.push(v);
  return r;
}
