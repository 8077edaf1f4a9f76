import { PlanError, summarizeRecord, UserFunctionError } from '../../core/errors.js';
import type { Key } from '../../core/key.js';
import type { ListCheckpointed, RichFunction, RuntimeContext, TimerService } from '../../functions/context.js';
import type { StateDescriptor } from '../../state/descriptors.js';
import { VOID_NAMESPACE } from '../../state/keyed-state-backend.js';
import type { FunctionListSnapshot, OperatorContext } from '../operator.js';
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

/**
 * Opens a user function. `keepsLists` says whether the operator checkpoints the list of a function that implements
 * ListCheckpointed; one that does not refuses such a function rather than lose its list at a restore.
 */
export async function openFunction(fn: unknown, ctx: OperatorContext, keepsLists = false): Promise<void> {
  if (!keepsLists && asListCheckpointed(fn) !== undefined) {
    throw new PlanError(
      `operator '${ctx.name}': its function implements ListCheckpointed, which only map, filter, flatMap and ` +
        'process functions (one input or two, broadcast included) support',
    );
  }
  const rich = fn as RichFunction | undefined;
  if (rich && typeof rich.open === 'function') {
    try {
      await rich.open(runtimeContextFor(ctx));
    } catch (e) {
      throw new UserFunctionError(ctx.name, undefined, e);
    }
  }
}

function asListCheckpointed(fn: unknown): ListCheckpointed<unknown> | undefined {
  const f = fn as Partial<ListCheckpointed<unknown>> | undefined;
  if (typeof f?.snapshotList !== 'function' || typeof f.restoreList !== 'function') return undefined;
  return f as ListCheckpointed<unknown>;
}

/** The function's list for checkpoint `checkpointId`, or undefined when it keeps none. */
export function snapshotFunctionList(
  fn: unknown,
  ctx: OperatorContext,
  checkpointId: number,
): FunctionListSnapshot | undefined {
  const f = asListCheckpointed(fn);
  if (f === undefined) return undefined;
  let items: unknown;
  try {
    items = f.snapshotList(checkpointId);
  } catch (e) {
    throw new UserFunctionError(ctx.name, undefined, e);
  }
  if (!Array.isArray(items)) {
    const got = items === null ? 'null' : typeof items;
    throw new UserFunctionError(ctx.name, undefined, new TypeError(`snapshotList returned ${got}, not an array`));
  }
  // Serialised later (after the rest of the snapshot): the function's own array may change by then.
  return { subtask: ctx.subtaskIndex, items: items.slice() };
}

/**
 * Hands the function its share of the lists the previous run's subtasks kept (`lists`: one per earlier subtask that
 * listed the operator, undefined where it kept none). At the same parallelism each subtask gets its own list back;
 * at another, all items in subtask order are cut into even contiguous shares.
 */
export function restoreFunctionList(
  fn: unknown,
  ctx: OperatorContext,
  lists: readonly (FunctionListSnapshot | undefined)[],
): void {
  const kept = lists.filter((l): l is FunctionListSnapshot => l !== undefined).sort((a, b) => a.subtask - b.subtask);
  const f = asListCheckpointed(fn);
  if (f === undefined) {
    if (kept.some((l) => l.items.length > 0)) {
      throw new PlanError(
        `operator '${ctx.name}': the checkpoint holds a list its function kept (ListCheckpointed), but the function ` +
          'no longer implements snapshotList and restoreList; restoring would lose it',
      );
    }
    return;
  }
  if (kept.length === 0) return;
  const p = ctx.parallelism;
  const i = ctx.subtaskIndex;
  let items: unknown[];
  if (kept.length === p && kept.every((l, s) => l.subtask === s)) items = kept[i]!.items;
  else {
    const all = kept.flatMap((l) => l.items);
    items = all.slice(Math.floor((all.length * i) / p), Math.floor((all.length * (i + 1)) / p));
  }
  try {
    f.restoreList(items);
  } catch (e) {
    throw new UserFunctionError(ctx.name, undefined, e);
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
