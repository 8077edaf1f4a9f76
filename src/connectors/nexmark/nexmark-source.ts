import type { Source, SourceOutput, SourceReader, SourceReaderContext } from '../../core/source.js';
import { GeneratorSource } from '../basic/generator-source.js';
import { type NexmarkConfig, nexmarkConfig } from './generator-config.js';
import { eventTime, type NexmarkEvent } from './model.js';
import { NexmarkGenerator } from './nexmark-generator.js';

export interface NexmarkSourceOptions extends Partial<NexmarkConfig> {
  /** Number of events (indices 0 … events - 1); omit for an unbounded source. */
  events?: number;
  /** Events per second of wall-clock time over all subtasks; omit for as fast as possible. */
  ratePerSecond?: number;
  /** Parallelism cap. */
  maxParallelism?: number;
  name?: string;
}

/** Forwards each event with its event time as the record timestamp. */
class EventTimeOutput implements SourceOutput<NexmarkEvent> {
  out: SourceOutput<NexmarkEvent> | undefined;
  collect(value: NexmarkEvent): void {
    this.out!.collect(value, eventTime(value));
  }
}

/**
 * Nexmark events as a parallel, checkpointable source: event i of the generator for i = 0, 1, … (up to `events`).
 * Subtask s of p produces the indices with i % p === s; the next index is the checkpointed state, and a restore at
 * another parallelism resumes without loss or duplicates (this is GeneratorSource, which it wraps). Since event i
 * depends only on (configuration, seed, i), the union of the output is the same at every parallelism and after any
 * restore. Each event is emitted with its event time as timestamp; add watermarks with e.g.
 * `env.fromSource(new NexmarkSource({ events, seed }), WatermarkStrategies.forBoundedOutOfOrderness(0))`: each
 * subtask's timestamps ascend (with the default `outOfOrderGroupSize` of 1).
 */
export class NexmarkSource implements Source<NexmarkEvent> {
  readonly name: string;
  readonly boundedness: 'bounded' | 'unbounded';
  readonly maxParallelism: number | undefined;
  /** The validated generator configuration. */
  readonly config: NexmarkConfig;
  private readonly inner: GeneratorSource<NexmarkEvent>;
  private generator: NexmarkGenerator | undefined;

  constructor(options: NexmarkSourceOptions = {}) {
    const { events, ratePerSecond, maxParallelism, name, ...config } = options;
    if (events !== undefined && !(Number.isSafeInteger(events) && events >= 0)) {
      throw new RangeError(`nexmark: events must be an integer >= 0, got ${events}`);
    }
    if (ratePerSecond !== undefined && !(ratePerSecond > 0 && Number.isFinite(ratePerSecond))) {
      throw new RangeError(`nexmark: ratePerSecond must be a positive number, got ${ratePerSecond}`);
    }
    this.config = nexmarkConfig(config);
    this.name = name ?? 'nexmark';
    this.boundedness = events === undefined ? 'unbounded' : 'bounded';
    this.maxParallelism = maxParallelism;
    // The generator (and its seed tables) is built on first use, in the thread that reads.
    this.inner = new GeneratorSource((i) => (this.generator ??= new NexmarkGenerator(this.config)).event(i), {
      count: events,
      ratePerSecond,
      maxParallelism,
      name: this.name,
    });
  }

  createReader(ctx: SourceReaderContext): SourceReader<NexmarkEvent> {
    const reader = this.inner.createReader(ctx);
    const stamped = new EventTimeOutput();
    return {
      ...reader,
      pollNext(out, max) {
        stamped.out = out;
        return reader.pollNext(stamped, max);
      },
    };
  }
}
