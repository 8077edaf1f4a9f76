import { PlanError, summarizeRecord, UserFunctionError } from '../../core/errors.js';
import type { Key } from '../../core/key.js';
import type { RichFunction, RuntimeContext, TimerService } from '../../functions/context.js';
import type { StateDescriptor } from '../../state/descriptors.js';
import { VOID_NAMESPACE } from '../../state/keyed-state-backend.js';
import type { OperatorContext } from '../operator.js';
import type { TimerQueue } from '../timer-queue.js';

/** The RuntimeContext handed to user functions' `open()`. */
export function runtimeContextFor(ctx: OperatorContext): RuntimeContext {
  const get = <S>(d: StateDescriptor): S => {
    if (ctx.keyedState === undefined) {
      throw new PlanError(
        `operator '${ctx.name}' uses keyed state '${d.name}' but its input is not keyed: use keyBy()`,
      );
    }
    return ctx.keyedState.getState<S>(d);
  };
  return {
    operatorName: ctx.name,
    subtaskIndex: ctx.subtaskIndex,
    parallelism: ctx.parallelism,
    maxParallelism: ctx.maxParallelism,
    runtimeMode: ctx.runtimeMode,
    getState: (d) => get(d as StateDescriptor),
    getListState: (d) => get(d as StateDescriptor),
    getMapState: (d) => get(d as StateDescriptor),
    getReducingState: (d) => get(d as StateDescriptor),
    getAggregatingState: (d) => get(d as StateDescriptor),
    getMetricGroup: () => ctx.metrics,
    getLogger: () => ctx.logger,
    logger: ctx.logger,
  };
}

export async function openFunction(fn: unknown, ctx: OperatorContext): Promise<void> {
  const rich = fn as RichFunction | undefined;
  if (rich && typeof rich.open === 'function') {
    try {
      await rich.open(runtimeContextFor(ctx));
    } catch (e) {
      throw new UserFunctionError(ctx.name, undefined, e);
    }
  }
}

export async function closeFunction(fn: unknown): Promise<void> {
  const rich = fn as RichFunction | undefined;
  if (rich && typeof rich.close === 'function') await rich.close();
}

/** Wraps an error thrown by user code with the operator name and the record being processed. */
export function userError(ctx: OperatorContext, record: unknown, e: unknown): Error {
  if (e instanceof UserFunctionError) return e;
  return new UserFunctionError(ctx.name, summarizeRecord(record), e);
}

/**
 * Event-time and processing-time timers of a keyed operator, plus the TimerService view a user function gets.
 * Timers belong to the current key of the state backend and to `namespace` (void for process functions).
 */
export class KeyedTimers {
  readonly eventTimers: TimerQueue;
  readonly processingTimers: TimerQueue;
  namespace = VOID_NAMESPACE;

  constructor(private readonly ctx: OperatorContext) {
    this.eventTimers = ctx.createTimerQueue('eventTime');
    this.processingTimers = ctx.createTimerQueue('processingTime');
  }

  private key(): Key {
    const s = this.ctx.keyedState;
    if (s === undefined) throw new PlanError(`operator '${this.ctx.name}' uses timers but its input is not keyed`);
    return s.getCurrentKey();
  }

  readonly service: TimerService = {
    currentProcessingTime: () => this.ctx.currentProcessingTime(),
    currentWatermark: () => this.ctx.currentWatermark(),
    registerEventTimeTimer: (t) => this.eventTimers.register(this.key(), this.namespace, t),
    registerProcessingTimeTimer: (t) => {
      this.processingTimers.register(this.key(), this.namespace, t);
      this.ctx.wakeup();
    },
    deleteEventTimeTimer: (t) => this.eventTimers.delete(this.key(), this.namespace, t),
    deleteProcessingTimeTimer: (t) => this.processingTimers.delete(this.key(), this.namespace, t),
  };

  nextProcessingTime(): number | undefined {
    return this.processingTimers.peekTime();
  }
}

/** A TimerService for non-keyed operators: time can be read, timers cannot be set (as in Flink). */
export function nonKeyedTimerService(ctx: OperatorContext): TimerService {
  const refuse = () => {
    throw new PlanError(`operator '${ctx.name}': timers need a keyed stream (use keyBy() before process())`);
  };
  return {
    currentProcessingTime: () => ctx.currentProcessingTime(),
    currentWatermark: () => ctx.currentWatermark(),
    registerEventTimeTimer: refuse,
    registerProcessingTimeTimer: refuse,
    deleteEventTimeTimer: refuse,
    deleteProcessingTimeTimer: refuse,
  };
}
