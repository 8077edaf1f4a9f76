import type { Batch } from '../../core/batch.js';
import { SluiceError } from '../../core/errors.js';
import { AbstractOperator, type OperatorContext } from '../operator.js';
import { userError } from './support.js';

interface Entry {
  /** undefined for a watermark entry. */
  value: unknown;
  ts: number;
  watermark?: number;
  results?: unknown[];
  done: boolean;
}

export interface AsyncOptions {
  ordered: boolean;
  capacity: number;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
}

/**
 * Async I/O: calls an async function per element with at most `capacity` calls in flight. Ordered mode emits results
 * in input order; unordered mode emits them as they complete, but never across a watermark (a watermark waits for
 * every element before it). Each call has a timeout and is retried `retries` times; a call that still fails fails
 * the job. When the queue is full the subtask stops taking input (backpressure).
 */
export class AsyncOperator extends AbstractOperator {
  private readonly queue: Entry[] = [];
  private inFlight = 0;
  private waiting: Entry[] = [];
  private spaceWaiter: (() => void) | undefined;
  private drainWaiter: (() => void) | undefined;

  constructor(
    private readonly fn: (value: unknown, signal: AbortSignal) => Promise<unknown>,
    private readonly options: AsyncOptions,
  ) {
    super();
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx);
  }

  processBatch(batch: Batch): void {
    for (let i = 0; i < batch.values.length; i++) {
      const entry: Entry = { value: batch.values[i], ts: batch.timestamps[i]!, done: false };
      this.queue.push(entry);
      this.waiting.push(entry);
    }
    this.startWaiting();
    if (this.queue.length >= this.options.capacity && this.spaceWaiter === undefined) {
      this.ctx.blockUntil(
        new Promise<void>((resolve) => {
          this.spaceWaiter = resolve;
        }),
      );
    }
  }

  private startWaiting(): void {
    while (this.inFlight < this.options.capacity && this.waiting.length > 0) {
      const entry = this.waiting.shift()!;
      this.inFlight++;
      this.call(entry, 0);
    }
  }

  private call(entry: Entry, attempt: number): void {
    const controller = new AbortController();
    const { timeoutMs, retries, retryDelayMs } = this.options;
    let settled = false;
    const timer = setTimeout(() => {
      controller.abort();
      onError(new SluiceError(`async call timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (e: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (attempt < retries) setTimeout(() => this.call(entry, attempt + 1), retryDelayMs);
      else this.ctx.fail(userError(this.ctx, entry.value, e));
    };
    let promise: Promise<unknown>;
    try {
      promise = this.fn(entry.value, controller.signal);
    } catch (e) {
      onError(e);
      return;
    }
    promise.then((r) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      entry.results = Array.isArray(r) ? r : [r];
      entry.done = true;
      this.inFlight--;
      try {
        // Emitting runs the chained operators downstream; their failure is the job's failure.
        this.emitReady();
        this.startWaiting();
      } catch (e) {
        this.ctx.fail(e);
      }
    }, onError);
  }

  private emitReady(): void {
    const q = this.queue;
    if (this.options.ordered) {
      while (q.length > 0 && q[0]!.done) this.emitEntry(q.shift()!);
    } else {
      // Emit completed elements up to the first pending watermark; a watermark goes once all before it are out.
      let k = 0;
      while (k < q.length) {
        const e = q[k]!;
        if (e.watermark !== undefined) {
          if (k === 0) {
            q.shift();
            this.emitEntry(e);
            continue;
          }
          break;
        }
        if (e.done) {
          q.splice(k, 1);
          this.emitEntry(e);
        } else k++;
      }
    }
    this.out.flush();
    this.ctx.wakeup();
    if (q.length < this.options.capacity && this.spaceWaiter) {
      const w = this.spaceWaiter;
      this.spaceWaiter = undefined;
      w();
    }
    if (q.length === 0 && this.drainWaiter) {
      const w = this.drainWaiter;
      this.drainWaiter = undefined;
      w();
    }
  }

  private emitEntry(e: Entry): void {
    if (e.watermark !== undefined) this.out.emitWatermark(e.watermark);
    else for (const r of e.results!) this.out.collect(r, e.ts);
  }

  /**
   * Elements taken from the input but not yet emitted go into the checkpoint (their calls are made again after a
   * restore: the async function must tolerate being called twice for an element, as in Flink).
   */
  snapshotState(): { subtask: number; elements: [unknown, number][] } {
    const elements: [unknown, number][] = [];
    for (const e of this.queue) if (e.watermark === undefined) elements.push([e.value, e.ts]);
    return { subtask: this.ctx.subtaskIndex, elements };
  }

  restoreState(states: readonly unknown[]): void {
    const p = this.ctx.parallelism;
    const values: unknown[] = [];
    const timestamps: number[] = [];
    for (const s of states as ({ subtask: number; elements: [unknown, number][] } | undefined)[]) {
      if (s === undefined || s.subtask % p !== this.ctx.subtaskIndex) continue;
      for (const [v, ts] of s.elements) {
        values.push(v);
        timestamps.push(ts);
      }
    }
    if (values.length > 0) this.processBatch({ values, timestamps });
  }

  override processWatermark(watermark: number): void {
    if (this.queue.length === 0) this.out.emitWatermark(watermark);
    else this.queue.push({ value: undefined, ts: watermark, watermark, done: true });
  }

  override endInput(): void | Promise<void> {
    if (this.queue.length === 0) return;
    return new Promise<void>((resolve) => {
      this.drainWaiter = resolve;
    });
  }
}
