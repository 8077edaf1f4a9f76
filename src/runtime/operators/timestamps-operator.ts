import type { Batch } from '../../core/batch.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../../core/time.js';
import type { WatermarkGenerator, WatermarkStrategy } from '../../core/watermark-strategy.js';
import { AbstractOperator, type OperatorContext } from '../operator.js';
import { userError } from './support.js';

/**
 * Assigns event timestamps and generates watermarks (Flink's assignTimestampsAndWatermarks).
 * Watermarks are emitted after each batch when they advanced; upstream watermarks are ignored except the final one.
 * With an idleness timeout, a subtask that saw no record for that long declares itself idle. With watermark
 * alignment, each watermark (and idleness) is also stored where the other subtasks of its group read it
 * (`watermark-alignment.ts`). In batch mode no watermark is emitted before the input ends (every timer fires at the
 * end, as in Flink's batch execution).
 */
export class TimestampsOperator extends AbstractOperator {
  private generator!: WatermarkGenerator;
  private emitted = MIN_WATERMARK;
  private lastRecordAt = 0;
  private idle = false;
  private batchMode = false;

  constructor(private readonly strategy: WatermarkStrategy<unknown>) {
    super();
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx);
    this.generator = this.strategy.createGenerator();
    this.batchMode = ctx.runtimeMode === 'batch';
    this.lastRecordAt = ctx.currentProcessingTime();
  }

  processBatch(batch: Batch): void {
    const { values, timestamps } = batch;
    const assign = this.strategy.timestampAssigner;
    const gen = this.generator;
    const out = this.out;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i];
        const ts = assign === undefined ? timestamps[i]! : assign(v, timestamps[i]!);
        if (typeof ts !== 'number' || Number.isNaN(ts)) throw new TypeError(`timestamp assigner returned ${ts}`);
        gen.onEvent(v, ts);
        out.collect(v, ts);
      }
    } catch (e) {
      throw userError(this.ctx, values[i], e);
    }
    if (values.length > 0) {
      this.lastRecordAt = this.ctx.currentProcessingTime();
      if (this.idle) {
        this.idle = false;
        this.ctx.watermarkAlignment?.idle(false, this.emitted);
        out.emitIdle(false);
      }
    }
    if (this.batchMode) return;
    const wm = gen.currentWatermark();
    if (wm > this.emitted) {
      this.emitted = wm;
      this.ctx.watermarkAlignment?.publish(wm);
      out.emitWatermark(wm);
    }
  }

  override processWatermark(watermark: number): void {
    if (watermark === MAX_WATERMARK && this.emitted < MAX_WATERMARK) {
      this.emitted = MAX_WATERMARK;
      this.out.emitWatermark(MAX_WATERMARK);
    }
  }

  nextProcessingTime(): number | undefined {
    const idleness = this.strategy.idlenessMs;
    if (idleness === undefined || this.idle || this.emitted === MAX_WATERMARK) return undefined;
    return this.lastRecordAt + idleness;
  }

  onProcessingTime(now: number): void {
    const idleness = this.strategy.idlenessMs;
    if (idleness !== undefined && !this.idle && now - this.lastRecordAt >= idleness) {
      this.idle = true;
      this.ctx.watermarkAlignment?.idle(true, this.emitted);
      this.out.emitIdle(true);
    }
  }
}
