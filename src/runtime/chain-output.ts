import type { Batch } from '../core/batch.js';
import type { OutputTag } from '../core/output-tag.js';
import type { Output, StreamOperator } from './operator.js';
import type { RecordWriter } from './record-writer.js';

/**
 * The output of one operator in a chain. Main-output records go to the next chained operator as a batch, or, at the
 * end of the chain, to the record writers of the vertex's outgoing edges. Side-output records always go to writers:
 * an operator with a side-output consumer ends its chain.
 */
export class ChainOutput implements Output {
  private values: unknown[] = [];
  private timestamps: number[] = [];
  private readonly side = new Map<string, Batch>();
  /** Side-output records that no edge consumes, per tag id (counted, reported in metrics). */
  readonly unconsumedSide = new Map<string, number>();
  recordsOut = 0;
  /** Set while the activity trace is recorded: time the next operator's `processBatch` calls take is measured. */
  timed = false;
  /** Ms spent inside the next operator's `processBatch` (and what it calls), while `timed`. */
  nestedMs = 0;

  constructor(
    private readonly next: StreamOperator | undefined,
    private readonly mainWriters: readonly RecordWriter[],
    private readonly sideWriters: ReadonlyMap<string, readonly RecordWriter[]>,
    private readonly maxBatch: number,
  ) {}

  /** True when a side output with this tag id has a consumer. */
  hasSideConsumer(tagId: string): boolean {
    return this.sideWriters.has(tagId);
  }

  collect(value: unknown, timestamp: number): void {
    this.values.push(value);
    this.timestamps.push(timestamp);
    if (this.values.length >= this.maxBatch) this.flushMain();
  }

  collectSide(tag: OutputTag<unknown>, value: unknown, timestamp: number): void {
    if (!this.sideWriters.has(tag.id)) {
      this.unconsumedSide.set(tag.id, (this.unconsumedSide.get(tag.id) ?? 0) + 1);
      return;
    }
    let b = this.side.get(tag.id);
    if (b === undefined) {
      b = { values: [], timestamps: [] };
      this.side.set(tag.id, b);
    }
    b.values.push(value);
    b.timestamps.push(timestamp);
    if (b.values.length >= this.maxBatch) this.flushSide();
  }

  private flushMain(): void {
    if (this.values.length === 0) return;
    const batch: Batch = { values: this.values, timestamps: this.timestamps };
    this.values = [];
    this.timestamps = [];
    this.recordsOut += batch.values.length;
    if (this.next === undefined) for (const w of this.mainWriters) w.write(batch);
    else if (!this.timed) this.next.processBatch(batch, 0);
    else {
      // Two clock reads per batch handed down the chain, only while tracing: splits a step's time per operator.
      const before = performance.now();
      this.next.processBatch(batch, 0);
      this.nestedMs += performance.now() - before;
    }
  }

  private flushSide(): void {
    if (this.side.size === 0) return;
    for (const [id, batch] of this.side) {
      for (const w of this.sideWriters.get(id) ?? []) w.write(batch);
    }
    this.side.clear();
  }

  flush(): void {
    this.flushSide();
    this.flushMain();
  }

  private forEachWriter(f: (w: RecordWriter) => void): void {
    for (const w of this.mainWriters) f(w);
    for (const ws of this.sideWriters.values()) for (const w of ws) f(w);
  }

  /** Set by the subtask: records the watermark the next chained operator has seen. */
  onNextWatermark: ((watermark: number) => void) | undefined;

  /** The last watermark this output passed on (for the currentOutputWatermark metric). */
  lastWatermark = Number.NEGATIVE_INFINITY;

  emitWatermark(watermark: number): void {
    this.flush();
    this.lastWatermark = watermark;
    this.onNextWatermark?.(watermark);
    if (this.next !== undefined) this.next.processWatermark(watermark);
    else this.forEachWriter((w) => w.emitWatermark(watermark));
    // Side outputs of a chained operator still need the watermark.
    if (this.next !== undefined)
      for (const ws of this.sideWriters.values()) for (const w of ws) w.emitWatermark(watermark);
  }

  emitIdle(idle: boolean): void {
    this.flush();
    this.forEachWriter((w) => w.emitIdle(idle));
    this.idleListener?.(idle);
  }

  /** Set by the subtask: forwards idleness through chained operators. */
  idleListener: ((idle: boolean) => void) | undefined;

  /** Flushes and sends end-of-input on every writer of this output. */
  end(): void {
    this.flush();
    this.forEachWriter((w) => w.end());
  }
}
