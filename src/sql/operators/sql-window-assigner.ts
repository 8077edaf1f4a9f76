import {
  type AssignerContext,
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  type WindowAssigner,
} from '../../windowing/assigners.js';
import { EventTimeTrigger, ProcessingTimeTrigger, type Trigger } from '../../windowing/triggers.js';
import { TimeWindow, windowStartFor } from '../../windowing/windows.js';
import type { WindowSpec } from './window-aggregate.js';

/**
 * Flink's cumulating windows: windows of one period of `size` (aligned to `offset`) that all start together and
 * end every `step`, i.e. [start, start + step), [start, start + 2·step), ... [start, start + size). An element at t
 * belongs to every window of its period whose end is after t. `size` must be a multiple of `step`.
 */
export class CumulatingWindows implements WindowAssigner<unknown, TimeWindow> {
  constructor(
    readonly isEventTime: boolean,
    private readonly step: number,
    private readonly size: number,
    private readonly offset: number,
  ) {
    checkCumulate(step, size);
  }

  assignWindows(_element: unknown, timestamp: number, ctx: AssignerContext): TimeWindow[] {
    const t = this.isEventTime ? timestamp : ctx.currentProcessingTime();
    if (!Number.isFinite(t)) throw new Error('a CUMULATE window got a row without a rowtime timestamp');
    return cumulateWindows(t, this.step, this.size, this.offset).map(([s, e]) => new TimeWindow(s, e));
  }

  defaultTrigger(): Trigger<unknown, TimeWindow> {
    return this.isEventTime ? EventTimeTrigger.create() : ProcessingTimeTrigger.create();
  }
}

function checkCumulate(step: number, size: number): void {
  if (!(step > 0 && size > 0)) throw new RangeError(`CUMULATE step and size must be positive, got ${step} and ${size}`);
  if (size % step !== 0) {
    throw new RangeError(`CUMULATE window size ${size} ms must be an integral multiple of its step ${step} ms`);
  }
}

/** The cumulating windows [start, end) containing `t`, in order of their end. */
function cumulateWindows(t: number, step: number, size: number, offset: number): [number, number][] {
  const start = windowStartFor(t, offset, size);
  const out: [number, number][] = [];
  for (let end = windowStartFor(t, offset, step) + step; end <= start + size; end += step) out.push([start, end]);
  return out;
}

/** The engine assigner for a SQL window on event time (record timestamps) or processing time. */
export function sqlWindowAssigner(spec: WindowSpec, eventTime: boolean): WindowAssigner<unknown, TimeWindow> {
  switch (spec.type) {
    case 'TUMBLE':
      return (eventTime ? TumblingEventTimeWindows : TumblingProcessingTimeWindows).of(spec.size, spec.offset ?? 0);
    case 'HOP':
      return (eventTime ? SlidingEventTimeWindows : SlidingProcessingTimeWindows).of(
        spec.size,
        spec.slide,
        spec.offset ?? 0,
      );
    case 'CUMULATE':
      return new CumulatingWindows(eventTime, spec.step, spec.size, spec.offset ?? 0);
    case 'SESSION':
      return (eventTime ? EventTimeSessionWindows : ProcessingTimeSessionWindows).withGap(spec.gap);
  }
}

/**
 * The windows [start, end) a row at time `t` belongs to, for the window TVFs without aggregation (TUMBLE, HOP,
 * CUMULATE; SESSION windows exist only by merging and are refused).
 */
export function windowsContaining(spec: WindowSpec, t: number): [number, number][] {
  const offset = spec.type === 'SESSION' ? 0 : (spec.offset ?? 0);
  switch (spec.type) {
    case 'TUMBLE': {
      const start = windowStartFor(t, offset, spec.size);
      return [[start, start + spec.size]];
    }
    case 'HOP': {
      const out: [number, number][] = [];
      for (let start = windowStartFor(t, offset, spec.slide); start > t - spec.size; start -= spec.slide) {
        out.push([start, start + spec.size]);
      }
      return out;
    }
    case 'CUMULATE':
      checkCumulate(spec.step, spec.size);
      return cumulateWindows(t, spec.step, spec.size, offset);
    case 'SESSION':
      throw new Error('a SESSION window table function needs an aggregation (GROUP BY window_start, window_end)');
  }
}
