import type { Batch } from '../../core/batch.js';
import type { Sink, SinkWriter } from '../../core/sink.js';
import { AbstractOperator, type OperatorContext } from '../operator.js';

/** Pre-committed output waiting for its checkpoint to complete. */
interface Pending {
  checkpointId: number;
  committable: unknown;
}

/** What the sink operator stores in a checkpoint. */
interface SinkState {
  subtask: number;
  pending: Pending[];
  writer?: unknown;
}

/**
 * Hands batches to a sink writer. Every call into the writer is serialised on one promise chain: while a write is
 * pending the subtask takes no input (backpressure), and later calls (writes, pre-commits, commits) queue behind it
 * in order. With checkpoints the writer takes part in two-phase commit: `prepareCommit` at each checkpoint (its
 * result goes into the checkpoint), `commit` when the checkpoint completes, `recover` before the first write.
 */
export class SinkOperator extends AbstractOperator {
  private writer!: SinkWriter<unknown>;
  private tail: Promise<unknown> | undefined;
  private pending: Pending[] = [];
  private recovered = false;

  constructor(private readonly sink: Sink<unknown>) {
    super();
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.writer = this.sink.createWriter({
      subtaskIndex: ctx.subtaskIndex,
      parallelism: ctx.parallelism,
      executionId: ctx.executionId,
      exactlyOnce: ctx.exactlyOnce,
    });
    await this.writer.open?.();
  }

  /** Runs `task` after everything queued before it; returns its result. */
  private run<R>(task: () => R | Promise<R>): R | Promise<R> {
    if (this.tail === undefined && this.recovered) {
      const r = task();
      if (r instanceof Promise) this.track(r);
      return r;
    }
    const before = this.tail ?? Promise.resolve();
    const p = before.then(async () => {
      if (!this.recovered) await this.recover([], []);
      return task();
    });
    this.track(p);
    return p;
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.finally(() => {
      if (this.tail === tracked) this.tail = undefined;
    });
    this.tail = tracked;
    this.ctx.blockUntil(tracked);
  }

  private async recover(committables: unknown[], states: unknown[], restored = false): Promise<void> {
    this.recovered = true;
    if (this.ctx.exactlyOnce) await this.writer.recover?.(committables, states, restored);
  }

  processBatch(batch: Batch): void {
    this.run(() => this.writer.write(batch.values, batch.timestamps));
  }

  override processWatermark(watermark: number): void {
    const writer = this.writer;
    if (writer.writeWatermark !== undefined) this.run(() => writer.writeWatermark!(watermark));
  }

  processIdle(idle: boolean): void {
    const writer = this.writer;
    if (writer.writeIdle !== undefined) this.run(() => writer.writeIdle!(idle));
  }

  override endInput(): void {
    this.run(() => this.writer.flush?.());
  }

  snapshotState(checkpointId: number): Promise<SinkState> | SinkState {
    const state = (): SinkState => ({
      subtask: this.ctx.subtaskIndex,
      pending: this.pending.slice(),
      writer: this.writer.snapshotState?.(),
    });
    if (this.writer.prepareCommit === undefined) return state();
    return Promise.resolve(
      this.run(async () => {
        const committable = await this.writer.prepareCommit!(checkpointId);
        if (committable !== undefined) this.pending.push({ checkpointId, committable });
        return state();
      }),
    );
  }

  notifyCheckpointComplete(checkpointId: number): Promise<void> | void {
    // Id 0 is the final snapshot of a finished subtask: the runtime reports it complete separately, once a checkpoint
    // that includes it is complete. Other entries are due when their own checkpoint (or a later one) completes.
    const isDue = (p: Pending) =>
      checkpointId === 0 ? p.checkpointId === 0 : p.checkpointId !== 0 && p.checkpointId <= checkpointId;
    const due = this.pending.filter(isDue);
    if (due.length === 0 || this.writer.commit === undefined) return;
    this.pending = this.pending.filter((p) => !isDue(p));
    return Promise.resolve(this.run(() => this.writer.commit!(due.map((p) => p.committable))));
  }

  async restoreState(states: readonly unknown[]): Promise<void> {
    const p = this.ctx.parallelism;
    const mine = (states as (SinkState | undefined)[]).filter(
      (s): s is SinkState => s !== undefined && s.subtask % p === this.ctx.subtaskIndex,
    );
    await this.recover(
      mine.flatMap((s) => s.pending.map((x) => x.committable)),
      mine.map((s) => s.writer).filter((w) => w !== undefined),
      true,
    );
  }

  override async close(): Promise<void> {
    await this.tail;
    await this.writer.close?.();
  }
}
