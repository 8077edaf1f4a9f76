import type { DataStream } from '../../api/data-stream.js';
import type { Key } from '../../core/key.js';
import type { Collector, KeyedContext, RuntimeContext } from '../../functions/context.js';
import type { KeyedCoProcessFunction } from '../../functions/functions.js';
import { listState, mapState } from '../../state/descriptors.js';
import type { ListState, MapState } from '../../state/state.js';
import { type ChangelogMode, isAccumulate, type Row, RowKind, withKind } from '../runtime/row.js';
import { type SqlOperatorOptions, ttlOptions } from './common.js';
import { hasNullKey, sqlKeySelector } from './sql-key.js';
import { encodeRow } from './value-encoding.js';

export type JoinType = 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'SEMI' | 'ANTI';

/**
 * A regular (unbounded) join of two changelogs on equal keys (`leftKeys[i]` = `rightKeys[i]`; SQL equality, so a
 * NULL key joins nothing) plus an optional residual condition over [left columns..., right columns...].
 * Keeps both sides in keyed state (with the state TTL when set) and emits a `retract` changelog of
 * [left columns..., right columns...] (outer joins pad the missing side with NULLs and retract the padded row when a
 * match arrives; SEMI/ANTI emit left columns only, for IN / EXISTS / NOT IN / NOT EXISTS after decorrelation).
 * With no equi-keys it runs at parallelism 1 (a cross join with a condition).
 *
 * Output kinds are INSERT and DELETE only (Flink's StreamingJoinOperator semantics): an accumulating input row
 * (INSERT, UPDATE_AFTER) emits INSERTs of its joined rows, a retracting one (UPDATE_BEFORE, DELETE) DELETEs of them.
 * Each side is a multiset (row → count); an outer side also counts per row the other side's rows it matches, so the
 * NULL-padded row is retracted (DELETE) when its first match arrives and emitted again (INSERT) when its last match
 * is retracted. A row with a NULL in its keys is never stored: an outer side emits (or retracts) its padded row at
 * once, an ANTI join's left row passes, other joins drop it (it matches nothing).
 * `condition` receives rows in the Row layout (kind in slot 0) of each side.
 */
export function regularJoin(
  left: DataStream<Row>,
  leftMode: ChangelogMode,
  right: DataStream<Row>,
  rightMode: ChangelogMode,
  joinType: JoinType,
  leftKeys: readonly number[],
  rightKeys: readonly number[],
  leftWidth: number,
  rightWidth: number,
  condition: ((left: Row, right: Row) => boolean) | undefined,
  options: SqlOperatorOptions,
): DataStream<Row> {
  if (leftKeys.length !== rightKeys.length) {
    throw new Error(`${options.name}: ${leftKeys.length} left join keys but ${rightKeys.length} right join keys`);
  }
  for (const [mode, side] of [
    [leftMode, 'left'],
    [rightMode, 'right'],
  ] as const) {
    if (mode === 'upsert') {
      throw new Error(`${options.name}: the ${side} input of a join must be a retract or insert-only changelog`);
    }
  }
  const spec = new JoinSpec(joinType, leftKeys, rightKeys, leftWidth, rightWidth, condition, ttlOptions(options));
  // An insert-only side whose stored rows never change (no retraction, no match count kept for padding) is kept
  // as a list of rows: appending costs no row encoding and no map lookup (Flink's view without unique key does
  // the same work with its map of row → count; this is the common case of append-only streams).
  spec.leftAppendOnly = leftMode === 'insert-only' && !spec.leftOuter && !spec.semiAnti;
  spec.rightAppendOnly = rightMode === 'insert-only' && !spec.rightOuter;
  const out = left
    .keyBy(sqlKeySelector(leftKeys))
    .connect(right.keyBy(sqlKeySelector(rightKeys)))
    .process(new RegularJoinFunction(spec), options.name)
    .name(options.name)
    .uid(options.uid);
  if (leftKeys.length === 0) return out.setParallelism(1);
  return options.parallelism === undefined ? out : out.setParallelism(options.parallelism);
}

/** A stored row of one side: the row (kind INSERT), how many times it is there, and how many rows it matches. */
type Entry = [row: Row, count: number, matches: number];

/** The plan of a join, shared by the parallel copies of its function (a class instance is not copied). */
class JoinSpec {
  readonly leftOuter: boolean;
  readonly rightOuter: boolean;
  readonly semiAnti: boolean;
  readonly leftNulls: unknown[];
  readonly rightNulls: unknown[];
  /** The left side's rows are stored as a list (see {@link regularJoin}); else as a multiset (map of row → entry). */
  leftAppendOnly = false;
  rightAppendOnly = false;
  constructor(
    readonly type: JoinType,
    readonly leftKeys: readonly number[],
    readonly rightKeys: readonly number[],
    readonly leftWidth: number,
    readonly rightWidth: number,
    readonly condition: ((left: Row, right: Row) => boolean) | undefined,
    readonly ttl: ReturnType<typeof ttlOptions>,
  ) {
    this.leftOuter = type === 'LEFT' || type === 'FULL';
    this.rightOuter = type === 'RIGHT' || type === 'FULL';
    this.semiAnti = type === 'SEMI' || type === 'ANTI';
    this.leftNulls = new Array(leftWidth).fill(null);
    this.rightNulls = new Array(rightWidth).fill(null);
  }

  joined(kind: number, l: Row, r: Row): Row {
    const out = new Array<unknown>(1 + this.leftWidth + this.rightWidth);
    out[0] = kind;
    for (let i = 0; i < this.leftWidth; i++) out[1 + i] = l[1 + i] ?? null;
    for (let i = 0; i < this.rightWidth; i++) out[1 + this.leftWidth + i] = r[1 + i] ?? null;
    return out;
  }
  leftPadded(kind: number, l: Row): Row {
    return this.joined(kind, l, [0, ...this.rightNulls]);
  }
  rightPadded(kind: number, r: Row): Row {
    return this.joined(kind, [0, ...this.leftNulls], r);
  }
  leftOnly(kind: number, l: Row): Row {
    const out = l.slice(0, 1 + this.leftWidth);
    out[0] = kind;
    return out;
  }
}

/** The keyed two-input function behind {@link regularJoin}. */
class RegularJoinFunction implements KeyedCoProcessFunction<Key, Row, Row, Row> {
  private leftState!: MapState<string, Entry>;
  private rightState!: MapState<string, Entry>;
  /** The sides stored as lists of entries [row, 1, 0] instead (append-only sides). */
  private leftList: ListState<Entry> | undefined;
  private rightList: ListState<Entry> | undefined;

  constructor(private readonly spec: JoinSpec) {}

  open(ctx: RuntimeContext): void {
    const ttl = this.spec.ttl;
    this.leftState = ctx.getMapState(mapState<string, Entry>('join-left', ttl));
    this.rightState = ctx.getMapState(mapState<string, Entry>('join-right', ttl));
    if (this.spec.leftAppendOnly) this.leftList = ctx.getListState(listState<Entry>('join-left-rows', ttl));
    if (this.spec.rightAppendOnly) this.rightList = ctx.getListState(listState<Entry>('join-right-rows', ttl));
  }

  processElement1(row: Row, _ctx: KeyedContext<Key>, out: Collector<Row>): void {
    const spec = this.spec;
    const accumulate = isAccumulate(row[0] as number);
    const kind = accumulate ? RowKind.INSERT : RowKind.DELETE;
    if (hasNullKey(row, spec.leftKeys)) {
      if (spec.leftOuter) out.collect(spec.leftPadded(kind, row));
      else if (spec.type === 'ANTI') out.collect(spec.leftOnly(kind, row));
      return;
    }
    if (spec.semiAnti) this.semiAntiLeft(row, accumulate, kind, out);
    else this.side(row, accumulate, true, out);
  }

  processElement2(row: Row, _ctx: KeyedContext<Key>, out: Collector<Row>): void {
    const spec = this.spec;
    const accumulate = isAccumulate(row[0] as number);
    if (hasNullKey(row, spec.rightKeys)) {
      if (spec.rightOuter) out.collect(spec.rightPadded(accumulate ? RowKind.INSERT : RowKind.DELETE, row));
      return;
    }
    if (spec.semiAnti) this.semiAntiRight(row, accumulate, out);
    else this.side(row, accumulate, false, out);
  }

  /** The other side's stored rows that match `row` under the residual condition. */
  private matching(row: Row, fromLeft: boolean): Entry[] {
    const list = fromLeft ? this.rightList : this.leftList;
    const cond = this.spec.condition;
    const all = list !== undefined ? list.get() : (fromLeft ? this.rightState : this.leftState).values();
    if (cond === undefined) return all;
    return all.filter((e) => (fromLeft ? cond(row, e[0]) : cond(e[0], row)));
  }

  /** Adds `delta` to the stored count of `row` (kept with `matches` for an outer side). */
  private store(state: MapState<string, Entry>, row: Row, delta: number, matches: number | undefined): void {
    const list = state === this.leftState ? this.leftList : this.rightList;
    if (list !== undefined) {
      // Append-only side: delta is always +1 and no match count is kept.
      list.add([withKind(row, RowKind.INSERT), 1, 0]);
      return;
    }
    const k = encodeRow(row);
    const e = state.get(k);
    const count = (e?.[1] ?? 0) + delta;
    if (count <= 0) state.remove(k);
    else state.put(k, [e?.[0] ?? withKind(row, RowKind.INSERT), count, matches ?? e?.[2] ?? 0]);
  }

  /** INNER and outer joins: one row of either side. */
  private side(row: Row, accumulate: boolean, fromLeft: boolean, out: Collector<Row>): void {
    const spec = this.spec;
    const inputOuter = fromLeft ? spec.leftOuter : spec.rightOuter;
    const otherOuter = fromLeft ? spec.rightOuter : spec.leftOuter;
    const own = fromLeft ? this.leftState : this.rightState;
    const other = fromLeft ? this.rightState : this.leftState;
    const matches = this.matching(row, fromLeft);
    let matchCount = 0;
    for (const e of matches) matchCount += e[1];
    const kind = accumulate ? RowKind.INSERT : RowKind.DELETE;
    const emitJoined = (k: number, e: Entry) => {
      const j = fromLeft ? spec.joined(k, row, e[0]) : spec.joined(k, e[0], row);
      for (let n = 0; n < e[1]; n++) out.collect(n === 0 ? j : j.slice());
    };
    const padded = (k: number, r: Row, rowIsLeft: boolean) =>
      rowIsLeft ? spec.leftPadded(k, r) : spec.rightPadded(k, r);

    if (accumulate) {
      if (matchCount === 0) {
        if (inputOuter) out.collect(padded(RowKind.INSERT, row, fromLeft));
      } else if (otherOuter) {
        for (const e of matches) {
          // The other row's first match: its padded row is no longer a result.
          if (e[2] === 0) for (let n = 0; n < e[1]; n++) out.collect(padded(RowKind.DELETE, e[0], !fromLeft));
          other.put(encodeRow(e[0]), [e[0], e[1], e[2] + 1]);
        }
      }
      for (const e of matches) emitJoined(kind, e);
      this.store(own, row, 1, inputOuter ? matchCount : undefined);
    } else {
      this.store(own, row, -1, undefined);
      if (matchCount === 0) {
        if (inputOuter) out.collect(padded(RowKind.DELETE, row, fromLeft));
        return;
      }
      for (const e of matches) emitJoined(kind, e);
      if (otherOuter) {
        for (const e of matches) {
          // The other row's last match is gone: its padded row is a result again.
          if (e[2] === 1) for (let n = 0; n < e[1]; n++) out.collect(padded(RowKind.INSERT, e[0], !fromLeft));
          other.put(encodeRow(e[0]), [e[0], e[1], Math.max(0, e[2] - 1)]);
        }
      }
    }
  }

  /** SEMI/ANTI, left row: emitted (or retracted) when it has matches (SEMI) or none (ANTI). */
  private semiAntiLeft(row: Row, accumulate: boolean, kind: number, out: Collector<Row>): void {
    const spec = this.spec;
    const matches = this.matching(row, true);
    let matchCount = 0;
    for (const e of matches) matchCount += e[1];
    if (matchCount > 0 === (spec.type === 'SEMI')) out.collect(spec.leftOnly(kind, row));
    this.store(this.leftState, row, accumulate ? 1 : -1, accumulate ? matchCount : undefined);
  }

  /** SEMI/ANTI, right row: left rows whose match count leaves or reaches zero change their result. */
  private semiAntiRight(row: Row, accumulate: boolean, out: Collector<Row>): void {
    const spec = this.spec;
    const semi = spec.type === 'SEMI';
    for (const e of this.matching(row, false)) {
      const matches = e[2] + (accumulate ? 1 : -1);
      let kind = -1;
      if (accumulate && matches === 1) kind = semi ? RowKind.INSERT : RowKind.DELETE;
      else if (!accumulate && matches === 0) kind = semi ? RowKind.DELETE : RowKind.INSERT;
      if (kind >= 0) for (let n = 0; n < e[1]; n++) out.collect(spec.leftOnly(kind, e[0]));
      this.leftState.put(encodeRow(e[0]), [e[0], e[1], Math.max(0, matches)]);
    }
    this.store(this.rightState, row, accumulate ? 1 : -1, undefined);
  }
}
