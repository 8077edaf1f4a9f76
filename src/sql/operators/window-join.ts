import type { DataStream } from '../../api/data-stream.js';
import type { Collector, Counter, KeyedContext, OnTimerContext, RuntimeContext } from '../../functions/context.js';
import type { KeyedCoProcessFunction } from '../../functions/functions.js';
import { NUM_LATE_RECORDS_DROPPED } from '../../runtime/operator-metrics.js';
import { listState } from '../../state/descriptors.js';
import type { ListState } from '../../state/state.js';
import { COLUMN_OFFSET, type Row, RowKind } from '../runtime/row.js';
import type { SqlOperatorOptions } from './common.js';
import type { JoinType } from './regular-join.js';
import { hasNullKey, sqlKeySelector } from './sql-key.js';

/**
 * Window join: two insert-only inputs with window columns, joined on equal window_start/window_end plus equal keys
 * and an optional residual condition. Emits each window's joined rows (outer joins pad with NULLs) as INSERTs when
 * the watermark passes the window's end. Output = [left columns..., right columns...].
 *
 * Both inputs are keyed by (window_start, window_end, keys) and buffered in keyed state; at window_end - 1 (event
 * time) the key's rows are joined by a nested loop and cleared; outputs carry record timestamp window_end - 1.
 * SEMI and ANTI emit left columns only. A NULL key equals nothing (its rows appear only NULL-padded in outer joins,
 * and in ANTI). Rows whose window already fired are dropped and counted (`numLateRecordsDropped`).
 */
export function windowJoin(
  left: DataStream<Row>,
  right: DataStream<Row>,
  joinType: Exclude<JoinType, 'SEMI' | 'ANTI'> | 'SEMI' | 'ANTI',
  leftWindow: { readonly start: number; readonly end: number },
  rightWindow: { readonly start: number; readonly end: number },
  leftKeys: readonly number[],
  rightKeys: readonly number[],
  leftWidth: number,
  rightWidth: number,
  condition: ((left: Row, right: Row) => boolean) | undefined,
  options: SqlOperatorOptions,
): DataStream<Row> {
  if (leftKeys.length !== rightKeys.length)
    throw new Error(`${options.name}: left and right join keys differ in number`);
  const fn = new WindowJoinFunction(
    joinType,
    leftWindow.end + COLUMN_OFFSET,
    rightWindow.end + COLUMN_OFFSET,
    leftKeys,
    rightKeys,
    leftWidth,
    rightWidth,
    condition,
  );
  const out = left
    .keyBy(sqlKeySelector([leftWindow.start, leftWindow.end, ...leftKeys]))
    .connect(right.keyBy(sqlKeySelector([rightWindow.start, rightWindow.end, ...rightKeys])))
    .process<Row>(fn, options.name)
    .uid(options.uid);
  if (options.parallelism !== undefined) out.setParallelism(options.parallelism);
  return out;
}

class WindowJoinFunction implements KeyedCoProcessFunction<unknown, Row, Row, Row> {
  private lefts!: ListState<Row>;
  private rights!: ListState<Row>;
  private dropped!: Counter;
  constructor(
    private readonly joinType: JoinType,
    private readonly leftEndSlot: number,
    private readonly rightEndSlot: number,
    private readonly leftKeys: readonly number[],
    private readonly rightKeys: readonly number[],
    private readonly leftWidth: number,
    private readonly rightWidth: number,
    private readonly condition: ((left: Row, right: Row) => boolean) | undefined,
  ) {}

  open(ctx: RuntimeContext): void {
    this.lefts = ctx.getListState(listState<Row>('window-join-left'));
    this.rights = ctx.getListState(listState<Row>('window-join-right'));
    this.dropped = ctx.getMetricGroup().counter(NUM_LATE_RECORDS_DROPPED);
  }

  private buffer(row: Row, slot: number, state: ListState<Row>, ctx: KeyedContext<unknown>): void {
    const end = row[slot];
    if (typeof end !== 'number') throw new TypeError(`window join: window_end is ${String(end)}, not a timestamp`);
    const timers = ctx.timerService();
    if (end - 1 <= timers.currentWatermark()) {
      this.dropped.inc();
      return;
    }
    state.add(row);
    timers.registerEventTimeTimer(end - 1);
  }

  processElement1(row: Row, ctx: KeyedContext<unknown>): void {
    this.buffer(row, this.leftEndSlot, this.lefts, ctx);
  }
  processElement2(row: Row, ctx: KeyedContext<unknown>): void {
    this.buffer(row, this.rightEndSlot, this.rights, ctx);
  }

  onTimer(_time: number, _ctx: OnTimerContext<unknown>, out: Collector<Row>): void {
    const lefts = this.lefts.get();
    const rights = this.rights.get();
    this.lefts.clear();
    this.rights.clear();
    const type = this.joinType;
    const rightMatched = new Array<boolean>(rights.length).fill(false);
    const leftNullPad = new Array<unknown>(this.leftWidth).fill(null);
    const rightNullPad = new Array<unknown>(this.rightWidth).fill(null);
    for (const l of lefts) {
      let matched = false;
      if (!hasNullKey(l, this.leftKeys)) {
        for (let j = 0; j < rights.length; j++) {
          const r = rights[j]!;
          if (hasNullKey(r, this.rightKeys) || (this.condition !== undefined && !this.condition(l, r))) continue;
          matched = true;
          rightMatched[j] = true;
          if (type === 'SEMI' || type === 'ANTI') break;
          out.collect(joined(l, r.slice(COLUMN_OFFSET)));
        }
      }
      if (type === 'SEMI' ? matched : type === 'ANTI' ? !matched : !matched && (type === 'LEFT' || type === 'FULL')) {
        out.collect(type === 'SEMI' || type === 'ANTI' ? leftOnly(l) : joined(l, rightNullPad));
      }
    }
    if (type === 'RIGHT' || type === 'FULL') {
      for (let j = 0; j < rights.length; j++) {
        if (!rightMatched[j]) out.collect([RowKind.INSERT, ...leftNullPad, ...rights[j]!.slice(COLUMN_OFFSET)]);
      }
    }
  }
}

function joined(l: Row, rightColumns: readonly unknown[]): Row {
  const r = l.slice();
  r[0] = RowKind.INSERT;
  for (const v of rightColumns) r.push(v);
  return r;
}

function leftOnly(l: Row): Row {
  const r = l.slice();
  r[0] = RowKind.INSERT;
  return r;
}
