import type { DataStream } from '../../api/data-stream.js';
import type { Key } from '../../core/key.js';
import type { Collector, Counter, KeyedContext, OnTimerContext, RuntimeContext } from '../../functions/context.js';
import type { KeyedProcessFunction } from '../../functions/functions.js';
import { mapState } from '../../state/descriptors.js';
import type { MapState } from '../../state/state.js';
import type { SqlOperatorOptions } from '../operators/common.js';
import { rowComparator } from '../operators/row-order.js';
import { COLUMN_OFFSET, type Row } from '../runtime/row.js';
import type { SortNode } from './logical-nodes.js';

/** Where a sort held until the input ends keeps its rows. */
const ALL = -1;

/**
 * ORDER BY without LIMIT on one subtask. Temporal (streaming, first key a rowtime ascending): rows wait in state by
 * rowtime and are emitted, ordered by the remaining keys within one rowtime, when the watermark reaches it; a row
 * behind the watermark is late and dropped (counted), as Flink's temporal sort does. Otherwise (batch) every row
 * waits until the input ends and all are emitted in order.
 */
class SortFunction implements KeyedProcessFunction<Key, Row, Row> {
  private rows!: MapState<number, Row[]>;
  private late!: Counter;
  private readonly compare: (a: Row, b: Row) => number;

  constructor(private readonly node: SortNode) {
    this.compare = rowComparator(node.sortKeys);
  }

  open(ctx: RuntimeContext): void {
    this.rows = ctx.getMapState(mapState<number, Row[]>('sort-rows'));
    this.late = ctx.getMetricGroup().counter('numLateRecordsDropped');
  }

  processElement(row: Row, ctx: KeyedContext<Key>, _out: Collector<Row>): void {
    let t = ALL;
    if (this.node.temporal) {
      t = row[this.node.sortKeys[0]!.index + COLUMN_OFFSET] as number;
      if (t <= ctx.timerService().currentWatermark()) {
        this.late.inc();
        return;
      }
    }
    const held = this.rows.get(t);
    if (held === undefined) {
      this.rows.put(t, [row]);
      // A processing-time timer at +Infinity fires only when bounded input ends (after every earlier operator's
      // own end-of-input output), as the batch materialisation does.
      if (this.node.temporal) ctx.timerService().registerEventTimeTimer(t);
      else ctx.timerService().registerProcessingTimeTimer(Number.POSITIVE_INFINITY);
    } else {
      held.push(row);
      this.rows.put(t, held);
    }
  }

  onTimer(timestamp: number, _ctx: OnTimerContext<Key>, out: Collector<Row>): void {
    const at = this.node.temporal ? timestamp : ALL;
    const held = this.rows.get(at);
    if (held === undefined) return;
    this.rows.remove(at);
    held.sort(this.compare);
    for (const r of held) out.collect(r);
  }
}

/** Lowers a Sort node: all rows to one subtask, ordered there. */
export function lowerSort(input: DataStream<Row>, node: SortNode, options: SqlOperatorOptions): DataStream<Row> {
  return input
    .keyBy(() => 0 as Key)
    .process(new SortFunction(node), options.name)
    .name(options.name)
    .uid(options.uid)
    .setParallelism(1);
}
