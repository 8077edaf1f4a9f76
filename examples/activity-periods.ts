/**
 * Event-time timers in a KeyedProcessFunction: per user, a period of activity ends when the user has sent no event
 * for --gap-ms (default 30 s) of event time. Each event moves its period's timer to its time + gap; when the
 * watermark reaches the timer, the period is written: {"user","start","end","count"} with end = last event time + gap.
 * The same result as examples/sessions.ts (session windows), computed with keyed state and timers.
 * Events are out of order by up to 5 s.
 *
 *   npx sluice run examples/activity-periods.ts -- --input examples/data/events.jsonl --output /tmp/periods.jsonl
 */
import { parseArgs } from 'node:util';
import {
  type Collector,
  defineJob,
  FileSink,
  FileSource,
  type KeyedContext,
  type KeyedProcessFunction,
  type OnTimerContext,
  type RuntimeContext,
  type ValueState,
  valueState,
  WatermarkStrategies,
} from 'sluice';
import { type Event, toEvent } from './events.js';

export interface ActivityPeriod {
  user: string;
  start: number;
  end: number;
  count: number;
}

/** A period whose end the watermark has not passed yet: first and last event time, number of events. */
interface OpenPeriod {
  start: number;
  last: number;
  count: number;
}

/**
 * Keeps each user's open periods in keyed state, with one timer per period at its last event + gap. A user may have
 * more than one open period: an event more than the gap after the last one starts a new period before the
 * watermark has closed the old one, and an event that arrives out of order can still join two periods into one.
 */
class ActivityPeriods implements KeyedProcessFunction<string, Event, ActivityPeriod> {
  private periods!: ValueState<OpenPeriod[]>;
  constructor(private readonly gapMs: number) {}

  open(ctx: RuntimeContext): void {
    this.periods = ctx.getState(valueState<OpenPeriod[]>('open-periods'));
  }

  processElement(e: Event, ctx: KeyedContext<string>, _out: Collector<ActivityPeriod>): void {
    const timers = ctx.timerService();
    const merged: OpenPeriod = { start: e.ts, last: e.ts, count: 1 };
    const rest: OpenPeriod[] = [];
    for (const p of this.periods.value() ?? []) {
      // [start, last + gap] and [ts, ts + gap] overlap or touch: one period.
      if (p.start <= e.ts + this.gapMs && p.last + this.gapMs >= e.ts) {
        timers.deleteEventTimeTimer(p.last + this.gapMs);
        merged.start = Math.min(merged.start, p.start);
        merged.last = Math.max(merged.last, p.last);
        merged.count += p.count;
      } else rest.push(p);
    }
    timers.registerEventTimeTimer(merged.last + this.gapMs);
    this.periods.update([...rest, merged]);
  }

  onTimer(time: number, ctx: OnTimerContext<string>, out: Collector<ActivityPeriod>): void {
    const open: OpenPeriod[] = [];
    for (const p of this.periods.value() ?? []) {
      if (p.last + this.gapMs === time) {
        out.collect({ user: ctx.getCurrentKey(), start: p.start, end: time, count: p.count });
      } else open.push(p);
    }
    if (open.length === 0) this.periods.clear();
    else this.periods.update(open);
  }
}

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: { input: { type: 'string' }, output: { type: 'string' }, 'gap-ms': { type: 'string' } },
  });
  if (!values.input || !values.output) {
    throw new Error('usage: activity-periods -- --input FILE --output FILE [--gap-ms N]');
  }
  const gapMs = Number(values['gap-ms'] ?? 30_000);
  if (!(gapMs > 0)) throw new Error(`--gap-ms must be a positive number, got ${values['gap-ms']}`);

  env
    .fromSource(
      FileSource.jsonLines(values.input, { validate: toEvent }),
      WatermarkStrategies.forBoundedOutOfOrderness<Event>(5_000).withTimestampAssigner((e) => e.ts),
    )
    .keyBy((e) => e.user)
    .process(new ActivityPeriods(gapMs), 'activity-periods')
    .uid('activity-periods')
    .sinkTo(FileSink.jsonLines(values.output));
});
