import type { DataStream } from '../../api/data-stream.js';
import { NO_TIMESTAMP } from '../../core/time.js';
import type {
  Collector,
  KeyedContext,
  OnTimerContext,
  RuntimeContext,
  TimestampedEmitter,
} from '../../functions/context.js';
import type { KeyedCoProcessFunction } from '../../functions/functions.js';
import { mapState, valueState } from '../../state/descriptors.js';
import type { MapState, ValueState } from '../../state/state.js';
import { type ChangelogMode, COLUMN_OFFSET, type Row, RowKind } from '../runtime/row.js';
import type { SqlOperatorOptions } from './common.js';
import { hasNullKey, sqlKeySelector } from './sql-key.js';

/**
 * Event-time temporal join `probe JOIN versioned FOR SYSTEM_TIME AS OF probe.rowtime ON keys`: each probe row joins
 * the version of the versioned table (a changelog with a primary key and a rowtime) valid at the probe row's time.
 * Probe rows wait until the watermark passes their time, then join and are emitted as INSERTs (LEFT pads with NULLs).
 * Processing-time variant (`eventTime` false): joins the latest version at arrival.
 *
 * Both sides are keyed by the join keys. Versions live in keyed state by their rowtime (a later row of equal time
 * replaces an earlier one; DELETE records a deletion from its time; UPDATE_BEFORE is ignored, its UPDATE_AFTER
 * follows). Probe rows wait in keyed state for an event-time timer at their time; when it fires, each joins the
 * version with the largest time <= its own, unless that version is a deletion (then no match). Versions older than
 * the one valid at a fired timer's time are then removed, so a probe row arriving behind the watermark may see a newer
 * version than its time asks for (as in Flink). Outputs carry the probe row's time. A NULL key equals nothing.
 */
export function temporalJoin(
  probe: DataStream<Row>,
  versioned: DataStream<Row>,
  versionedMode: ChangelogMode,
  joinType: 'INNER' | 'LEFT',
  probeKeys: readonly number[],
  versionedKeys: readonly number[],
  probeTimeIndex: number,
  versionedTimeIndex: number,
  probeWidth: number,
  versionedWidth: number,
  condition: ((left: Row, right: Row) => boolean) | undefined,
  eventTime: boolean,
  options: SqlOperatorOptions,
): DataStream<Row> {
  const fn = new TemporalJoinFunction(
    joinType === 'LEFT',
    probeKeys,
    probeTimeIndex + COLUMN_OFFSET,
    versionedTimeIndex + COLUMN_OFFSET,
    versionedWidth,
    condition,
    eventTime,
  );
  void versionedMode; // every mode is handled alike: INSERT/UPDATE_AFTER set a version, DELETE ends it
  void probeWidth;
  const out = probe
    .keyBy(sqlKeySelector(probeKeys))
    .connect(versioned.keyBy(sqlKeySelector(versionedKeys)))
    .process<Row>(fn, options.name)
    .uid(options.uid);
  if (options.parallelism !== undefined) out.setParallelism(options.parallelism);
  return out;
}

class TemporalJoinFunction implements KeyedCoProcessFunction<unknown, Row, Row, Row> {
  /** Probe rows waiting for the watermark, by time. */
  private pending!: MapState<number, Row[]>;
  /** Versions by rowtime; a DELETE row marks a deletion. */
  private versions!: MapState<number, Row>;
  /** Processing time: the latest version. */
  private latest!: ValueState<Row>;
  private readonly pad: unknown[];
  constructor(
    private readonly left: boolean,
    private readonly probeKeys: readonly number[],
    private readonly probeTimeSlot: number,
    private readonly versionTimeSlot: number,
    versionedWidth: number,
    private readonly condition: ((left: Row, right: Row) => boolean) | undefined,
    private readonly eventTime: boolean,
  ) {
    this.pad = new Array<unknown>(versionedWidth).fill(null);
  }

  open(ctx: RuntimeContext): void {
    this.pending = ctx.getMapState(mapState<number, Row[]>('temporal-join-probe'));
    this.versions = ctx.getMapState(mapState<number, Row>('temporal-join-versions'));
    this.latest = ctx.getState(valueState<Row>('temporal-join-latest'));
  }

  private static time(row: Row, slot: number, side: string): number {
    const t = row[slot];
    if (typeof t !== 'number')
      throw new TypeError(`temporal join: the ${side} rowtime is ${String(t)}, not a timestamp`);
    return t;
  }

  /** Joins one probe row with a version (or none) and emits the result, if any, with timestamp `ts`. */
  private join(p: Row, version: Row | undefined, ts: number, ctx: KeyedContext<unknown>): void {
    const emitter = ctx as unknown as TimestampedEmitter;
    const live = version !== undefined && version[0] !== RowKind.DELETE && !hasNullKey(p, this.probeKeys);
    if (live && (this.condition === undefined || this.condition(p, version))) {
      const out = p.slice();
      out[0] = RowKind.INSERT;
      for (let i = COLUMN_OFFSET; i < version.length; i++) out.push(version[i]);
      emitter.collectWithTimestamp(out, ts);
    } else if (this.left) {
      const out = p.slice();
      out[0] = RowKind.INSERT;
      out.push(...this.pad);
      emitter.collectWithTimestamp(out, ts);
    }
  }

  processElement1(p: Row, ctx: KeyedContext<unknown>): void {
    if (!this.eventTime) {
      this.join(p, this.latest.value(), ctx.timestamp() ?? NO_TIMESTAMP, ctx);
      return;
    }
    const t = TemporalJoinFunction.time(p, this.probeTimeSlot, 'probe');
    this.pending.put(t, [...(this.pending.get(t) ?? []), p]);
    ctx.timerService().registerEventTimeTimer(t);
  }

  processElement2(v: Row, ctx: KeyedContext<unknown>): void {
    if (v[0] === RowKind.UPDATE_BEFORE) return;
    if (!this.eventTime) {
      if (v[0] === RowKind.DELETE) this.latest.clear();
      else this.latest.update(v);
      return;
    }
    const t = TemporalJoinFunction.time(v, this.versionTimeSlot, 'versioned');
    this.versions.put(t, v);
    // A timer at the version's time also cleans older versions once it is valid, even with no probe rows.
    ctx.timerService().registerEventTimeTimer(t);
  }

  onTimer(time: number, ctx: OnTimerContext<unknown>, _out: Collector<Row>): void {
    const times = this.versions.keys().sort((a, b) => a - b);
    const rows = this.pending.get(time);
    if (rows !== undefined) {
      this.pending.remove(time);
      const valid = lastAtOrBefore(times, time);
      const version = valid === undefined ? undefined : this.versions.get(valid);
      for (const p of rows) this.join(p, version, time, ctx);
    }
    // Timers fire in time order, so no probe row on time is older than `time`: older versions are not needed.
    const valid = lastAtOrBefore(times, time);
    if (valid === undefined) return;
    for (const t of times) {
      if (t >= valid) break;
      this.versions.remove(t);
    }
    if (this.versions.get(valid)?.[0] === RowKind.DELETE && times[times.length - 1] === valid)
      this.versions.remove(valid);
  }
}

/** The largest of the sorted `times` that is <= t, or undefined. */
function lastAtOrBefore(times: readonly number[], t: number): number | undefined {
  let found: number | undefined;
  for (const x of times) {
    if (x > t) break;
    found = x;
  }
  return found;
}
