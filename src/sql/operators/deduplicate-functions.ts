import type { Key } from '../../core/key.js';
import type { Collector, Counter, KeyedContext, OnTimerContext, RuntimeContext } from '../../functions/context.js';
import type { KeyedProcessFunction } from '../../functions/functions.js';
import { valueState } from '../../state/descriptors.js';
import type { ValueState } from '../../state/state.js';
import { COLUMN_OFFSET, ROW_KIND_SHORT, type Row, RowKind, withKind } from '../runtime/row.js';
import type { ttlOptions } from './common.js';

/** The plan of a deduplication, shared by the parallel copies of its function (a class instance is not copied). */
export class DeduplicateSpec {
  constructor(
    readonly operatorName: string,
    readonly timeIndex: number,
    readonly keepLast: boolean,
    readonly rowtime: boolean,
    readonly outputRankNumber: boolean,
    readonly ttl: ReturnType<typeof ttlOptions>,
  ) {}

  output(kind: number, row: Row): Row {
    const out = withKind(row, kind);
    if (this.outputRankNumber) out.push(1);
    return out;
  }

  /** Deduplication reads an append-only input (the planner uses Top-N for an updating one). */
  checkInsert(row: Row): void {
    if (row[0] !== RowKind.INSERT) {
      throw new Error(
        `${this.operatorName}: deduplication needs an insert-only input, got a ${ROW_KIND_SHORT[row[0] as number] ?? String(row[0])} row`,
      );
    }
  }

  time(row: Row): number {
    return row[this.timeIndex + COLUMN_OFFSET] as number;
  }
}

/**
 * Keep-first on processing time: the first row of each key is emitted (INSERT) and later ones dropped; insert-only.
 * Keep-last on processing or event time: a `retract` changelog of the key's latest row (INSERT, then
 * UPDATE_BEFORE/UPDATE_AFTER). In event time "latest" is the largest rowtime, the later arrival among equal ones;
 * a row older than the kept one changes nothing (Flink's RowTimeDeduplicateFunction).
 */
export class DeduplicateFunction implements KeyedProcessFunction<Key, Row, Row> {
  private state!: ValueState<Row>;

  constructor(private readonly spec: DeduplicateSpec) {}

  open(ctx: RuntimeContext): void {
    this.state = ctx.getState(valueState<Row>('deduplicate', this.spec.ttl));
  }

  processElement(row: Row, _ctx: KeyedContext<Key>, out: Collector<Row>): void {
    const spec = this.spec;
    spec.checkInsert(row);
    const prev = this.state.value();
    if (!spec.keepLast) {
      if (prev !== undefined) return;
      // Only the fact that the key was seen matters: keep no columns.
      this.state.update([]);
      out.collect(spec.output(RowKind.INSERT, row));
      return;
    }
    if (prev !== undefined && spec.rowtime && spec.time(row) < spec.time(prev)) return;
    this.state.update(withKind(row, RowKind.INSERT));
    if (prev === undefined) out.collect(spec.output(RowKind.INSERT, row));
    else {
      out.collect(spec.output(RowKind.UPDATE_BEFORE, prev));
      out.collect(spec.output(RowKind.UPDATE_AFTER, row));
    }
  }
}

/** Event-time keep-first: [candidate row, emitted]. */
type FirstState = [row: Row, emitted: boolean];

/**
 * Keep-first on event time, insert-only: the candidate is the row with the smallest rowtime (the earliest arrival
 * among equal ones); it is emitted when the watermark reaches its rowtime, after which the key's choice is final.
 * A row arriving for a key already emitted is dropped; if its rowtime is smaller than the emitted one (it is late,
 * behind the watermark) it is counted in `numLateRecordsDropped`. Flink's result for on-time rows is the same.
 */
export class RowtimeKeepFirstFunction implements KeyedProcessFunction<Key, Row, Row> {
  private state!: ValueState<FirstState>;
  private late!: Counter;

  constructor(private readonly spec: DeduplicateSpec) {}

  open(ctx: RuntimeContext): void {
    this.state = ctx.getState(valueState<FirstState>('deduplicate-first', this.spec.ttl));
    this.late = ctx.getMetricGroup().counter('numLateRecordsDropped');
  }

  processElement(row: Row, ctx: KeyedContext<Key>, _out: Collector<Row>): void {
    const spec = this.spec;
    spec.checkInsert(row);
    const t = spec.time(row);
    const prev = this.state.value();
    if (prev !== undefined) {
      const prevTime = spec.time(prev[0]);
      if (prev[1]) {
        if (t < prevTime) this.late.inc();
        return;
      }
      if (t >= prevTime) return;
      ctx.timerService().deleteEventTimeTimer(prevTime);
    }
    this.state.update([withKind(row, RowKind.INSERT), false]);
    ctx.timerService().registerEventTimeTimer(t);
  }

  onTimer(_timestamp: number, _ctx: OnTimerContext<Key>, out: Collector<Row>): void {
    const st = this.state.value();
    if (st === undefined || st[1]) return;
    out.collect(this.spec.output(RowKind.INSERT, st[0]));
    // Keep only the time: later rows of the key are compared with it.
    const mark = new Array<unknown>(st[0].length).fill(null);
    mark[this.spec.timeIndex + COLUMN_OFFSET] = this.spec.time(st[0]);
    this.state.update([mark, true]);
  }
}
