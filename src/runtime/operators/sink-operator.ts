import type { Batch } from '../../core/batch.js';
import type { Sink, SinkWriter } from '../../core/sink.js';
import { AbstractOperator, type OperatorContext } from '../operator.js';

/**
 * Hands batches to a sink writer. Writes are serialised: while a write's promise is pending the subtask takes no
 * input (backpressure); later batches produced in the same step queue behind it.
 */
export class SinkOperator extends AbstractOperator {
  private writer!: SinkWriter<unknown>;
  private tail: Promise<void> | undefined;

  constructor(private readonly sink: Sink<unknown>) {
    super();
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.writer = this.sink.createWriter({
      subtaskIndex: ctx.subtaskIndex,
      parallelism: ctx.parallelism,
      executionId: ctx.executionId,
    });
    await this.writer.open?.();
  }

  private run(task: () => void | Promise<void>): void {
    if (this.tail !== undefined) {
      const p = this.tail.then(task);
      this.track(p);
      return;
    }
    const r = task();
    if (r !== undefined) this.track(r);
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => {
      if (this.tail === tracked) this.tail = undefined;
    });
    this.tail = tracked;
    this.ctx.blockUntil(tracked);
  }

  processBatch(batch: Batch): void {
    this.run(() => this.writer.write(batch.values, batch.timestamps));
  }

  override processWatermark(): void {}

  override endInput(): void {
    this.run(() => this.writer.flush?.());
  }

  override async close(): Promise<void> {
    await this.tail;
    await this.writer.close?.();
  }
}
