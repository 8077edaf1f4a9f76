import type { DataStream } from '../../api/data-stream.js';
import type { Key } from '../../core/key.js';
import type { Collector, KeyedContext, RuntimeContext } from '../../functions/context.js';
import type { KeyedProcessFunction } from '../../functions/functions.js';
import { valueState } from '../../state/descriptors.js';
import type { ValueState } from '../../state/state.js';
import { type ChangelogMode, COLUMN_OFFSET, isAccumulate, type Row, RowKind } from '../runtime/row.js';
import { AggregateCalls } from './aggregate-calls.js';
import { type AggregateCall, type SqlOperatorOptions, ttlOptions } from './common.js';
import { sqlKeySelector } from './sql-key.js';
import { valueListsEqual } from './value-encoding.js';

/**
 * An unwindowed GROUP BY aggregate over a changelog: keyed by `groupIndices`, one accumulator per aggregate call
 * per group. Input may be any changelog mode (retractions use `retract`; the planner refuses non-retractable
 * functions over updating input). Output rows are [groupColumns..., aggregateValues...] as a `retract` changelog:
 * the first row of a group is INSERT, a change emits UPDATE_BEFORE (old) + UPDATE_AFTER (new), a group whose row
 * count falls to zero emits DELETE and drops its state. No output when the values did not change.
 * With no group columns (global aggregate) it runs at parallelism 1 and, in streaming mode, emits its first row on
 * the first input (Flink's behaviour); in batch mode a global aggregate over empty input emits one row of initial
 * values (COUNT 0, SUM NULL).
 * DISTINCT calls keep a per-group count of each distinct argument value; FILTER skips rows whose filter column is
 * not TRUE.
 *
 * A retraction for a group without state (never seen, or expired by the state TTL) is ignored, as in Flink.
 * An UPSERT input (no UPDATE_BEFORE) cannot be aggregated: the planner puts a changelog normalisation before it.
 */
export function groupAggregate(
  input: DataStream<Row>,
  inputMode: ChangelogMode,
  groupIndices: readonly number[],
  calls: readonly AggregateCall[],
  options: SqlOperatorOptions,
): DataStream<Row> {
  if (inputMode === 'upsert') {
    throw new Error(
      `${options.name}: an aggregate needs a retract or insert-only input, got an upsert changelog (normalise it first)`,
    );
  }
  const spec = new AggregateSpec(groupIndices, calls, ttlOptions(options));
  const out = input
    .keyBy(sqlKeySelector(groupIndices))
    .process(new GroupAggregateFunction(spec), options.name)
    .name(options.name)
    .uid(options.uid);
  if (groupIndices.length === 0) return out.setParallelism(1);
  return options.parallelism === undefined ? out : out.setParallelism(options.parallelism);
}

/** The state of one group: its live row count and its accumulator array (see {@link AggregateCalls}). */
export interface GroupState {
  count: number;
  accs: unknown[];
}

/**
 * What the function needs of the plan, in a class instance: function objects are shared between parallel copies
 * of the function (see clone-function.ts), plain data would be copied and may hold functions.
 */
export class AggregateSpec {
  readonly aggregates: AggregateCalls;

  constructor(
    readonly groupIndices: readonly number[],
    readonly calls: readonly AggregateCall[],
    readonly ttl: ReturnType<typeof ttlOptions>,
  ) {
    this.aggregates = new AggregateCalls(calls);
  }

  newState(): GroupState {
    return { count: 0, accs: this.aggregates.create() };
  }

  /** The calls' current results. */
  values(state: GroupState): unknown[] {
    const out = this.aggregates.values(state.accs);
    for (let i = 0; i < out.length; i++) {
      const v = out[i];
      // A result that is an object (ARRAY, MAP, ROW) may be the accumulator's own: copy it so that the row emitted
      // and the "previous values" kept for the comparison do not change with the accumulator.
      if (v !== null && typeof v === 'object') out[i] = structuredClone(v);
    }
    return out;
  }

  /** Folds one row into (accumulate) or out of (retract) the group's accumulators. Mutates `state`. */
  apply(state: GroupState, row: Row, accumulate: boolean): void {
    if (accumulate) this.aggregates.add(state.accs, row);
    else this.aggregates.retract(state.accs, row);
    state.count += accumulate ? 1 : -1;
  }

  /** An output row: the group's columns (from `row`), then `values`. */
  outputRow(kind: number, row: Row, values: readonly unknown[]): Row {
    const g = this.groupIndices;
    const out = new Array<unknown>(1 + g.length + values.length);
    out[0] = kind;
    for (let i = 0; i < g.length; i++) out[i + 1] = row[g[i]! + COLUMN_OFFSET];
    for (let i = 0; i < values.length; i++) out[1 + g.length + i] = values[i];
    return out;
  }
}

/** The keyed function behind {@link groupAggregate}; see there. */
export class GroupAggregateFunction implements KeyedProcessFunction<Key, Row, Row> {
  private state!: ValueState<GroupState>;
  private batch = false;
  /** Global aggregate in batch mode: whether a row is out (else the end of input emits the initial row). */
  private globalRowOut = false;

  constructor(private readonly spec: AggregateSpec) {}

  open(ctx: RuntimeContext): void {
    this.state = ctx.getState(valueState<GroupState>('group-aggregate', this.spec.ttl));
    this.batch = ctx.runtimeMode === 'batch';
  }

  processElement(row: Row, _ctx: KeyedContext<Key>, out: Collector<Row>): void {
    const spec = this.spec;
    const accumulate = isAccumulate(row[0] as number);
    let st = this.state.value();
    const first = st === undefined;
    let prev: unknown[] | undefined;
    if (st === undefined) {
      if (!accumulate) return;
      st = spec.newState();
    } else {
      prev = spec.values(st);
      // Announce the in-place change before it happens (copy-on-write snapshots copy the value here).
      this.state.update(st);
    }
    spec.apply(st, row, accumulate);
    if (st.count <= 0) {
      if (!first) out.collect(spec.outputRow(RowKind.DELETE, row, prev!));
      this.state.clear();
      if (spec.groupIndices.length === 0) this.globalRowOut = false;
      return;
    }
    this.state.update(st);
    const next = spec.values(st);
    if (first) {
      out.collect(spec.outputRow(RowKind.INSERT, row, next));
      if (spec.groupIndices.length === 0) this.globalRowOut = true;
    } else if (!valueListsEqual(prev!, next)) {
      out.collect(spec.outputRow(RowKind.UPDATE_BEFORE, row, prev!));
      out.collect(spec.outputRow(RowKind.UPDATE_AFTER, row, next));
    }
  }

  endInput(out: Collector<Row>): void {
    // Batch runs never restore a checkpoint, so the field covers the whole input.
    if (this.batch && this.spec.groupIndices.length === 0 && !this.globalRowOut) {
      out.collect(this.spec.outputRow(RowKind.INSERT, [], this.spec.values(this.spec.newState())));
    }
  }
}
