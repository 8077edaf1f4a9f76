import { PlanError } from '../../core/errors.js';
import type { Sink, SinkWriter, SinkWriterContext } from '../../core/sink.js';
import { brokerList } from './client.js';
import { AtLeastOnceWriter, ExactlyOnceWriter } from './kafka-sink-writer.js';
import { type KafkaSerializer, serializer } from './serde.js';

export interface KafkaSinkOptions<T> {
  /** Bootstrap brokers: "host:port" strings, a list or comma-separated. */
  readonly brokers: string | readonly string[];
  /** The topic, or a function choosing it per record. The topics must exist, unless `autoCreateTopics`. */
  readonly topic: string | ((value: T) => string);
  /** Lets the broker create missing topics with its defaults (if it allows auto-creation). Default false. */
  readonly autoCreateTopics?: boolean;
  /** How values become bytes. Default 'json'. */
  readonly value?: KafkaSerializer<T>;
  /** The record key (a string is UTF-8 encoded); null or undefined for none. Default: no key. */
  readonly key?: (value: T) => Buffer | Uint8Array | string | null | undefined;
  /** The partition; default: Kafka's default partitioner (murmur2 of the key), round-robin without a key. */
  readonly partition?: (value: T) => number;
  /** Headers per record (string values are UTF-8 encoded). */
  readonly headers?: (value: T) => Readonly<Record<string, Buffer | Uint8Array | string>>;
  /** Whether Sluice's record timestamps become the Kafka timestamps (else the producer's clock). Default true. */
  readonly writeTimestamps?: boolean;
  /**
   * - 'at-least-once' (default): an idempotent producer; everything written is acknowledged before each checkpoint
   *   completes (and at the end of input), so a restore may write records again but never loses one;
   * - 'exactly-once': one Kafka transaction per checkpoint, committed when the checkpoint completes; consumers with
   *   isolation level read_committed see every result exactly once. Needs `transactionalIdPrefix` and a job running
   *   with checkpoints (without checkpoints the sink behaves as at-least-once).
   */
  readonly delivery?: 'at-least-once' | 'exactly-once';
  /**
   * Exactly-once: transactional ids are `<prefix>-<subtask>-<slot>`. Must be the same for every run of a job (its
   * restarts recover the transactions of earlier runs through it) and distinct from every other job's.
   */
  readonly transactionalIdPrefix?: string;
  /**
   * Exactly-once: how long a transaction may stay open before the broker aborts it. It must cover a checkpoint
   * interval plus the time to restart after a failure: a transaction aborted before its checkpoint's commit loses
   * that output. At most the broker's transaction.max.timeout.ms. Default 900 000 (15 min, the broker's default max).
   */
  readonly transactionTimeoutMs?: number;
  /** Records queued for sending before `write` waits (backpressure). Default 20 000. */
  readonly maxBufferedRecords?: number;
  /** Records per produce request. Default 5 000. */
  readonly sendBatchSize?: number;
  /** Compression of record batches. Default none. */
  readonly compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** Kafka client id. Default 'sluice'. */
  readonly clientId?: string;
  /** Name in plans. Default `kafka:<topic>`. */
  readonly name?: string;
}

/**
 * Writes records to Kafka, at-least-once or exactly-once (see `delivery`). With exactly-once, each subtask writes
 * the records of a checkpoint in one transaction, pre-committed (flushed) at the checkpoint barrier and committed
 * when the checkpoint completes; after a failure the restored checkpoint's transactions are committed and any
 * other transaction a failed run left open under this job's prefix is aborted (see docs/KAFKA.md).
 */
export class KafkaSink<T> implements Sink<T> {
  readonly name: string;

  /** @throws PlanError for options that do not fit together. */
  constructor(readonly options: KafkaSinkOptions<T>) {
    brokerList(options.brokers);
    const delivery = options.delivery ?? 'at-least-once';
    if (delivery !== 'at-least-once' && delivery !== 'exactly-once') {
      throw new PlanError(`KafkaSink: unknown delivery '${String(delivery)}' (expected at-least-once or exactly-once)`);
    }
    if (delivery === 'exactly-once') {
      const prefix = options.transactionalIdPrefix;
      if (prefix === undefined || prefix === '') {
        throw new PlanError('KafkaSink: exactly-once delivery needs a transactionalIdPrefix unique to the job');
      }
    }
    if (typeof options.topic === 'string' && options.topic === '') throw new PlanError('KafkaSink: empty topic');
    serializer(options.value, 'value');
    this.name = options.name ?? `kafka:${typeof options.topic === 'string' ? options.topic : '<dynamic>'}`;
  }

  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    if ((this.options.delivery ?? 'at-least-once') === 'exactly-once' && ctx.exactlyOnce) {
      return new ExactlyOnceWriter<T>(this.name, this.options, ctx);
    }
    return new AtLeastOnceWriter<T>(this.name, this.options, ctx);
  }
}
