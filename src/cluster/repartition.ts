/**
 * Repartition topics: how a keyBy crosses processes in cluster mode. The tasks of the stage before the keyBy write
 * every record to the partition that owns its key (by key group) and, after every watermark advance, a watermark
 * marker to *every* partition; a task of the next stage reads one partition and tracks one watermark per upstream
 * task ("origin"). Its watermark is the minimum over all origins, so event time survives the hop exactly as it
 * survives a keyBy between threads, where the watermark is the minimum over the input channels.
 *
 * Envelopes are MessagePack arrays: `[0, origin, timestamps, values]` for up to 256 records of one batch that go to
 * the same partition (one Kafka record carries many: Kafka's per-record cost dominated), `[1, origin, watermark]` for
 * watermarks and `[2, origin, 1 | 0]` when an upstream task's input turns idle or active (an idle origin holds
 * back no watermark, as an idle input channel).
 * A marker with the maximum watermark ends its origin: once every origin has ended, a bounded reader ends too.
 * Writes go through the exactly-once Kafka sink, so records and markers commit with the upstream task's checkpoint,
 * and readers read committed data only: what a downstream task sees never goes back.
 */
import { Packr, Unpackr } from 'msgpackr';
import { KafkaSink } from '../connectors/kafka/kafka-sink.js';
import { KafkaSource } from '../connectors/kafka/kafka-source.js';
import { type Key, keyGroupOf, normalizeKey } from '../core/key.js';
import type { Sink, SinkWriter, SinkWriterContext } from '../core/sink.js';
import type { PollResult, Source, SourceOutput, SourceReader, SourceReaderContext } from '../core/source.js';
import { MAX_WATERMARK, MIN_WATERMARK, NO_TIMESTAMP } from '../core/time.js';

/** One repartition topic of a cluster job. */
export interface RepartitionTopic {
  readonly name: string;
  /** Partitions = tasks of the reading stage. */
  readonly partitions: number;
  /** Upstream tasks that write into it (each is one origin of watermarks). */
  readonly origins: number;
}

const RECORD = 0;
const MARKER = 1;
const IDLE = 2;

/** Records per Kafka record at most (so a Kafka record stays far below the broker's 1 MiB default). */
const MAX_RECORDS_PER_MESSAGE = 256;
/** Bytes per Kafka record at most; a larger group of records is split. */
const MAX_MESSAGE_BYTES = 512 * 1024;

type Envelope =
  | readonly [typeof RECORD, number, readonly number[], readonly unknown[]]
  | readonly [typeof MARKER | typeof IDLE, number, number];

/** What the inner Kafka sink writes: an envelope for one partition. */
interface Outgoing {
  readonly partition: number;
  readonly bytes: Uint8Array;
}

const packr = new Packr({ useRecords: false, moreTypes: true, int64AsType: 'bigint' });
const unpackr = new Unpackr({ useRecords: false, moreTypes: true, int64AsType: 'bigint' });

/** The partition of a key: key groups are spread over the partitions in contiguous ranges, as over subtasks. */
export function repartitionPartition(key: Key, maxParallelism: number, partitions: number): number {
  return Math.floor((keyGroupOf(normalizeKey(key), maxParallelism) * partitions) / maxParallelism);
}

export interface RepartitionSinkOptions {
  readonly brokers: string;
  readonly topic: RepartitionTopic;
  /** The upstream task writing (its origin number in the topic). */
  readonly origin: number;
  readonly keySelector: (value: never) => Key;
  readonly maxParallelism: number;
  /** Transactional ids of this task's writes; the same on every run of the task. */
  readonly transactionalIdPrefix: string;
}

/** Writes one upstream task's records and watermarks into a repartition topic, exactly-once. */
export class RepartitionSink<T> implements Sink<T> {
  readonly name: string;
  private readonly inner: KafkaSink<Outgoing>;

  constructor(private readonly options: RepartitionSinkOptions) {
    this.name = `repartition:${options.topic.name}`;
    this.inner = new KafkaSink<Outgoing>({
      brokers: options.brokers,
      topic: options.topic.name,
      partition: (o) => o.partition,
      value: (o) => o.bytes,
      // Event time travels in the envelope; Kafka timestamps stay the broker-side append time (retention by age).
      writeTimestamps: false,
      delivery: 'exactly-once',
      transactionalIdPrefix: options.transactionalIdPrefix,
      name: this.name,
    });
  }

  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    return new RepartitionWriter<T>(this.inner.createWriter(ctx), this.options);
  }
}

class RepartitionWriter<T> implements SinkWriter<T> {
  private watermark = MIN_WATERMARK;
  private readonly select: (value: T) => Key;

  constructor(
    private readonly inner: SinkWriter<Outgoing>,
    private readonly options: RepartitionSinkOptions,
  ) {
    this.select = options.keySelector as (value: T) => Key;
  }

  open(): void | Promise<void> {
    return this.inner.open?.();
  }

  write(values: readonly T[], timestamps: readonly number[]): void | Promise<void> {
    const { maxParallelism, topic } = this.options;
    // Group the batch by partition, keeping each partition's records in order.
    const byPartition = new Map<number, { values: T[]; timestamps: number[] }>();
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const partition = repartitionPartition(this.select(v), maxParallelism, topic.partitions);
      let group = byPartition.get(partition);
      if (group === undefined) byPartition.set(partition, (group = { values: [], timestamps: [] }));
      group.values.push(v);
      group.timestamps.push(timestamps[i] ?? NO_TIMESTAMP);
    }
    const out: Outgoing[] = [];
    for (const [partition, group] of byPartition) {
      for (let from = 0; from < group.values.length; from += MAX_RECORDS_PER_MESSAGE) {
        const to = Math.min(group.values.length, from + MAX_RECORDS_PER_MESSAGE);
        this.pack(partition, group.values.slice(from, to), group.timestamps.slice(from, to), out);
      }
    }
    return this.inner.write(
      out,
      out.map(() => NO_TIMESTAMP),
    );
  }

  /** Envelopes for records of one partition, halved until each fits MAX_MESSAGE_BYTES (one record may not). */
  private pack(partition: number, values: readonly T[], timestamps: readonly number[], out: Outgoing[]): void {
    // pack() returns a view of a reused buffer: copy before the next call.
    const bytes = Buffer.from(packr.pack([RECORD, this.options.origin, timestamps, values] satisfies Envelope));
    if (bytes.length <= MAX_MESSAGE_BYTES || values.length === 1) {
      out.push({ partition, bytes });
      return;
    }
    const half = values.length >> 1;
    this.pack(partition, values.slice(0, half), timestamps.slice(0, half), out);
    this.pack(partition, values.slice(half), timestamps.slice(half), out);
  }

  writeWatermark(watermark: number): void | Promise<void> {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    return this.toEveryPartition([MARKER, this.options.origin, watermark]);
  }

  writeIdle(idle: boolean): void | Promise<void> {
    return this.toEveryPartition([IDLE, this.options.origin, idle ? 1 : 0]);
  }

  private toEveryPartition(envelope: Envelope): void | Promise<void> {
    const bytes = Buffer.from(packr.pack(envelope));
    const out: Outgoing[] = [];
    for (let p = 0; p < this.options.topic.partitions; p++) out.push({ partition: p, bytes });
    return this.inner.write(
      out,
      out.map(() => NO_TIMESTAMP),
    );
  }

  flush(): void | Promise<void> {
    return this.inner.flush?.();
  }
  prepareCommit(checkpointId: number): unknown {
    return this.inner.prepareCommit?.(checkpointId);
  }
  commit(committables: readonly unknown[]): void | Promise<void> {
    return this.inner.commit?.(committables);
  }
  snapshotState(): unknown {
    return this.inner.snapshotState?.();
  }
  recover(committables: readonly unknown[], states: readonly unknown[]): void | Promise<void> {
    return this.inner.recover?.(committables, states);
  }
  close(): void | Promise<void> {
    return this.inner.close?.();
  }
}

export interface RepartitionSourceOptions {
  readonly brokers: string;
  readonly topic: RepartitionTopic;
  /** The partition this task reads. */
  readonly partition: number;
  /** Whether every upstream task ends (bounded input): then this source ends once all origins ended. */
  readonly bounded: boolean;
}

/** What a repartition reader stores in checkpoints. */
interface RepartitionState {
  readonly inner: unknown;
  /** The largest watermark read per origin, up to the checkpointed position. */
  readonly watermarks: readonly (readonly [number, number])[];
  /** Origins idle at the checkpointed position. */
  readonly idle?: readonly number[];
}

/**
 * Reads one partition of a repartition topic: records with the timestamps and watermarks their upstream tasks gave
 * them. Needs per-split watermarks (the stage plan gives it a strategy that generates none itself).
 */
export class RepartitionSource<T> implements Source<T> {
  readonly name: string;
  readonly boundedness: 'bounded' | 'unbounded';
  readonly splitWatermarks = true;
  private readonly inner: KafkaSource<Buffer>;

  constructor(private readonly options: RepartitionSourceOptions) {
    this.name = `repartition:${options.topic.name}[${options.partition}]`;
    this.boundedness = options.bounded ? 'bounded' : 'unbounded';
    this.inner = new KafkaSource<Buffer>({
      brokers: options.brokers,
      topics: options.topic.name,
      partitions: [options.partition],
      startingOffsets: 'earliest',
      value: 'bytes',
      partitionDiscoveryIntervalMs: 0,
      // Kafka records here carry up to 256 records each: bound the buffer in those (≤ 64k records ahead).
      maxBufferedRecords: 256,
      name: this.name,
    });
  }

  createReader(ctx: SourceReaderContext): SourceReader<T> {
    return new RepartitionReader<T>(this.inner.createReader(ctx), this.options);
  }
}

/** @internal exported for tests */
export class RepartitionReader<T> implements SourceReader<T> {
  private readonly watermarks = new Map<number, number>();
  private readonly idle = new Set<number>();
  private announced = false;
  /** Running average of records per Kafka record, to ask the inner reader for about `max` records per poll. */
  private perMessage = 1;
  private out: SourceOutput<T> | undefined;
  /** Receives the inner reader's raw records and routes envelopes to `out`. */
  private readonly adapter: SourceOutput<Buffer>;

  constructor(
    private readonly inner: SourceReader<Buffer>,
    private readonly options: RepartitionSourceOptions,
  ) {
    const adapter: SourceOutput<Buffer> = {
      collect: (bytes) => this.route(bytes),
      forSplit: () => adapter,
      releaseSplit: () => {},
    };
    this.adapter = adapter;
  }

  open(): void | Promise<void> {
    return this.inner.open?.();
  }

  private split(origin: number): SourceOutput<T> {
    const out = this.out!;
    return out.forSplit?.(`origin-${origin}`) ?? out;
  }

  private route(bytes: Buffer): void {
    const e = unpackr.unpack(bytes) as Envelope;
    if (e[0] === RECORD) {
      this.idle.delete(e[1]);
      const split = this.split(e[1]);
      const [, , timestamps, values] = e;
      for (let i = 0; i < values.length; i++) split.collect(values[i] as T, timestamps[i]!);
      this.perMessage += (values.length - this.perMessage) / 8;
      return;
    }
    if (e[0] === IDLE) {
      if (e[2] === 1) this.idle.add(e[1]);
      else this.idle.delete(e[1]);
      this.split(e[1]).markIdle?.(e[2] === 1);
      return;
    }
    const [, origin, watermark] = e;
    if (watermark > (this.watermarks.get(origin) ?? MIN_WATERMARK)) this.watermarks.set(origin, watermark);
    this.split(origin).emitWatermark?.(watermark);
  }

  /** Every origin has sent its end marker. */
  private ended(): boolean {
    if (!this.options.bounded || this.watermarks.size < this.options.topic.origins) return false;
    for (const wm of this.watermarks.values()) if (wm !== MAX_WATERMARK) return false;
    return true;
  }

  pollNext(out: SourceOutput<T>, max: number): PollResult {
    this.out = out;
    if (!this.announced) {
      // Every origin holds the watermark back until it has sent one, as an input channel does. All of them exist
      // before any restored watermark is given: a watermark takes effect at once, over the origins known then.
      this.announced = true;
      const origins = Array.from({ length: this.options.topic.origins }, (_, o) => this.split(o));
      origins.forEach((split, o) => {
        const wm = this.watermarks.get(o);
        if (wm !== undefined) split.emitWatermark?.(wm);
        if (this.idle.has(o)) split.markIdle?.(true);
      });
    }
    if (this.ended()) return 'end';
    const result = this.inner.pollNext(this.adapter, Math.max(1, Math.floor(max / this.perMessage)));
    return this.ended() ? 'end' : result;
  }

  available(): Promise<void> {
    return this.inner.available?.() ?? Promise.resolve();
  }

  /**
   * The Kafka records not read yet (the inner reader's backlog) at the running average of records per Kafka record:
   * an estimate, as watermark markers count like record envelopes.
   */
  backlog(): number | undefined {
    const kafka = this.inner.backlog?.();
    return kafka === undefined ? undefined : Math.round(kafka * this.perMessage);
  }

  snapshotState(checkpointId?: number): RepartitionState {
    const inner = this.inner.snapshotState?.(checkpointId);
    return { inner, watermarks: [...this.watermarks], idle: [...this.idle] };
  }

  notifyCheckpointComplete(checkpointId: number): void | Promise<void> {
    return this.inner.notifyCheckpointComplete?.(checkpointId);
  }

  restoreState(states: readonly unknown[]): void {
    const mine = states as (RepartitionState | undefined)[];
    this.inner.restoreState?.(mine.map((s) => s?.inner));
    for (const s of mine) {
      for (const origin of s?.idle ?? []) this.idle.add(origin);
      for (const [origin, wm] of s?.watermarks ?? []) {
        if (wm > (this.watermarks.get(origin) ?? MIN_WATERMARK)) this.watermarks.set(origin, wm);
      }
    }
  }

  close(): void | Promise<void> {
    return this.inner.close?.();
  }
}
