import type { DataStream } from '../../api/data-stream.js';
import type { Collector, Counter, KeyedContext, OnTimerContext, RuntimeContext } from '../../functions/context.js';
import type { KeyedProcessFunction } from '../../functions/functions.js';
import { NUM_LATE_RECORDS_DROPPED } from '../../runtime/operator-metrics.js';
import { listState } from '../../state/descriptors.js';
import type { ListState } from '../../state/state.js';
import { COLUMN_OFFSET, type Row, RowKind } from '../runtime/row.js';
import type { SortKey, SqlOperatorOptions } from './common.js';
import { rowComparator } from './row-order.js';
import { sqlKeySelector } from './sql-key.js';

/**
 * Window Top-N and window deduplication: ROW_NUMBER/RANK/DENSE_RANK OVER (PARTITION BY window_start, window_end,
 * keys ORDER BY ...) with rank <= N, over an insert-only input that carries window columns (the output of a window
 * aggregate or of a window TVF). Emits, when the watermark passes a window's end, that window's top rows as INSERTs
 * (with the rank number when asked). `windowEndIndex` is the window_end column (its value - 1 is when to fire).
 *
 * Keyed by (window_start, window_end, partition columns); each key's rows wait in keyed state until the watermark
 * reaches window_end - 1, are sorted, ranked and emitted with record timestamp window_end - 1, and the state is
 * cleared. Rows whose window already fired are dropped and counted (`numLateRecordsDropped`). Ties: the sort is
 * stable, so among rows equal on the ORDER BY keys ROW_NUMBER numbers them in arrival order (at parallelism > 1
 * arrival order between subtasks is not fixed). Event time only.
 */
export function windowRank(
  input: DataStream<Row>,
  windowStartIndex: number,
  windowEndIndex: number,
  partitionIndices: readonly number[],
  sortKeys: readonly SortKey[],
  rankFunction: 'ROW_NUMBER' | 'RANK' | 'DENSE_RANK',
  rankStart: number,
  rankEnd: number,
  outputRankNumber: boolean,
  options: SqlOperatorOptions,
): DataStream<Row> {
  if (!(rankStart >= 1 && rankEnd >= rankStart)) {
    throw new RangeError(`${options.name}: rank range [${rankStart}, ${rankEnd}] is empty or starts below 1`);
  }
  const fn = new WindowRankFunction(
    windowEndIndex + COLUMN_OFFSET,
    rowComparator(sortKeys),
    rankFunction,
    rankStart,
    rankEnd,
    outputRankNumber,
  );
  const out = input
    .keyBy(sqlKeySelector([windowStartIndex, windowEndIndex, ...partitionIndices]))
    .process<Row>(fn, options.name)
    .uid(options.uid);
  if (options.parallelism !== undefined) out.setParallelism(options.parallelism);
  return out;
}

class WindowRankFunction implements KeyedProcessFunction<unknown, Row, Row> {
  private rows!: ListState<Row>;
  private dropped!: Counter;
  constructor(
    private readonly endSlot: number,
    private readonly compare: (a: Row, b: Row) => number,
    private readonly rankFunction: 'ROW_NUMBER' | 'RANK' | 'DENSE_RANK',
    private readonly rankStart: number,
    private readonly rankEnd: number,
    private readonly outputRankNumber: boolean,
  ) {}

  open(ctx: RuntimeContext): void {
    this.rows = ctx.getListState(listState<Row>('window-rank-rows'));
    this.dropped = ctx.getMetricGroup().counter(NUM_LATE_RECORDS_DROPPED);
  }

  processElement(row: Row, ctx: KeyedContext<unknown>): void {
    const end = row[this.endSlot];
    if (typeof end !== 'number') throw new TypeError(`window rank: window_end is ${String(end)}, not a timestamp`);
    const timers = ctx.timerService();
    if (end - 1 <= timers.currentWatermark()) {
      this.dropped.inc();
      return;
    }
    this.rows.add(row);
    timers.registerEventTimeTimer(end - 1);
  }

  onTimer(_time: number, _ctx: OnTimerContext<unknown>, out: Collector<Row>): void {
    const rows = this.rows.get();
    this.rows.clear();
    rows.sort(this.compare);
    let rank = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (this.rankFunction === 'ROW_NUMBER') rank = i + 1;
      else if (i === 0 || this.compare(rows[i - 1]!, row) !== 0) {
        rank = this.rankFunction === 'RANK' ? i + 1 : rank + 1;
      }
      if (rank > this.rankEnd) break;
      if (rank < this.rankStart) continue;
      const r = row.slice();
      r[0] = RowKind.INSERT;
      if (this.outputRankNumber) r.push(rank);
      out.collect(r);
    }
  }
}
