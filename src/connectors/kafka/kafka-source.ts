import { PlanError } from '../../core/errors.js';
import type { Source, SourceReader, SourceReaderContext } from '../../core/source.js';
import type { JsonProjection } from '../formats/json-projection.js';
import { brokerList } from './client.js';
import { KafkaSourceReader } from './kafka-source-reader.js';
import { deserializer, type KafkaDeserializer } from './serde.js';

/** A record as read from Kafka, with its key and value deserialised; what `map` receives. */
export interface KafkaRecord<K = unknown, V = unknown> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** The record's Kafka timestamp (epoch ms): create time, or log-append time if the topic uses that. */
  readonly timestamp: number;
  readonly key: K;
  readonly value: V;
  /** Header names (UTF-8) and their raw values. */
  readonly headers: ReadonlyMap<string, Buffer | null>;
}

/** One partition's start position for {@link KafkaStartingOffsets} `offsets`. */
export interface KafkaPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The offset of the first record to read. */
  readonly offset: number | bigint;
}

/**
 * Where readers start when the job does not restore from a checkpoint (a restored job always continues from the
 * offsets in the checkpoint):
 * - 'earliest': the start of each partition; 'latest': its end (the last stable offset under read_committed);
 * - 'committed': the offsets committed for `groupId` (partitions without one: `startingOffsetsFallback`);
 * - `{ timestamp }`: the first record with a timestamp ≥ it (partitions with none: their end);
 * - `{ offsets }`: the offsets given (partitions not listed: `startingOffsetsFallback`).
 */
export type KafkaStartingOffsets =
  | 'earliest'
  | 'latest'
  | 'committed'
  | { readonly timestamp: number }
  | { readonly offsets: readonly KafkaPartitionOffset[] };

export interface KafkaSourceOptions<T, K = Buffer | null, V = unknown> {
  /** Bootstrap brokers: "host:port" strings, a list or comma-separated. */
  readonly brokers: string | readonly string[];
  /** The topics to read (all their partitions). One of `topics` and `topicPattern` is required. */
  readonly topics?: string | readonly string[];
  /** Reads every topic whose name matches (internal topics excepted); new matches are found by partition discovery. */
  readonly topicPattern?: RegExp;
  /**
   * Reads only these partition numbers of the topics (all readers together; each still owns its share). Cluster
   * mode uses it to give a task its own partition. Default: every partition.
   */
  readonly partitions?: readonly number[];
  /** Default 'earliest'. */
  readonly startingOffsets?: KafkaStartingOffsets;
  /** For 'committed' and `{ offsets }`: where partitions without a position start. Default 'earliest'. */
  readonly startingOffsetsFallback?: 'earliest' | 'latest';
  /**
   * 'latest' makes the source bounded: each partition is read up to its end offset as of the first start (kept in
   * checkpoints, so a restored run stops at the same offsets), then the source ends. Default: unbounded.
   */
  readonly stoppingOffsets?: 'latest';
  /**
   * Consumer group: where 'committed' starting offsets come from, and where the readers commit the offsets of
   * every checkpoint they take, for monitoring only (positions always come from Sluice's checkpoints; readers never
   * join the group). Default: none, no commits.
   */
  readonly groupId?: string;
  /** Whether to commit offsets to `groupId` at checkpoints. Default true when `groupId` is set. */
  readonly commitOffsets?: boolean;
  /** Default 'read_committed': records of aborted transactions are skipped, open transactions are waited for. */
  readonly isolationLevel?: 'read_committed' | 'read_uncommitted';
  /** How values are deserialised. Default 'json'. */
  readonly value?: KafkaDeserializer<V>;
  /**
   * JSON values only: build just these fields of each value (see `JsonProjection`, as `FileSource.jsonLines`'s
   * `fields`). The value is then a new object holding exactly the named fields, in this order (`undefined` where a
   * record lacks one), decoded from the record's bytes by code compiled for the projection, which skips the rest
   * without building it. Values and bad-record errors are those of `JSON.parse`.
   */
  readonly fields?: JsonProjection;
  /** How keys are deserialised (only used by `map`). Default 'bytes'. */
  readonly key?: KafkaDeserializer<K>;
  /** Builds the emitted element from the whole record. Default: the deserialised value. */
  readonly map?: (record: KafkaRecord<K, V>) => T;
  /**
   * Unbounded sources look for new partitions and (with `topicPattern`) new topics this often; those start at their
   * earliest offset. 0 turns discovery off. Default 30 000 ms.
   */
  readonly partitionDiscoveryIntervalMs?: number;
  /** Records a reader buffers ahead of the job; when full it stops fetching (backpressure). Default 20 000. */
  readonly maxBufferedRecords?: number;
  /** Most bytes per fetch response. Default 8 MiB. */
  readonly fetchMaxBytes?: number;
  /** Most bytes per partition in a fetch. Default 2 MiB. */
  readonly fetchPartitionMaxBytes?: number;
  /** How long the broker may hold a fetch while it has no data. Default 250 ms. */
  readonly fetchMaxWaitMs?: number;
  /** Kafka client id. Default 'sluice'. */
  readonly clientId?: string;
  /** Name in plans and bad-record reports. Default `kafka:<topics>`. */
  readonly name?: string;
}

/**
 * Reads Kafka topics. Reader i of p reads the partitions that {@link partitionOwner} assigns to it (a fixed spread
 * of each topic's partitions over the readers; no consumer group is joined). Positions (the next offset of every
 * partition) are the reader's checkpointed state: a restored job continues exactly after the records emitted before
 * the checkpoint, at any parallelism. Each record is emitted with its Kafka timestamp as its timestamp.
 *
 * Readers fetch in the background into a bounded buffer and never block the job: `pollNext` emits what is
 * buffered and answers 'wait' when nothing is. Values that cannot be deserialised are bad records (dead-letter
 * output or job failure, see `DEAD_LETTER_TAG`).
 */
export class KafkaSource<T, K = Buffer | null, V = T> implements Source<T> {
  readonly name: string;
  readonly boundedness: 'bounded' | 'unbounded';
  /** Watermarks per partition: the strategy given to `fromSource` runs for each partition a reader owns. */
  readonly splitWatermarks = true;

  /** @throws PlanError for options that do not fit together. */
  constructor(readonly options: KafkaSourceOptions<T, K, V>) {
    brokerList(options.brokers);
    const topics = topicList(options.topics);
    if ((topics.length === 0) === (options.topicPattern === undefined)) {
      throw new PlanError('KafkaSource needs either topics or topicPattern');
    }
    if (options.startingOffsets === 'committed' && options.groupId === undefined) {
      throw new PlanError("KafkaSource: startingOffsets 'committed' needs a groupId");
    }
    if (options.commitOffsets === true && options.groupId === undefined) {
      throw new PlanError('KafkaSource: commitOffsets needs a groupId');
    }
    if (options.stoppingOffsets !== undefined && options.stoppingOffsets !== 'latest') {
      throw new PlanError(`KafkaSource: unknown stoppingOffsets '${String(options.stoppingOffsets)}'`);
    }
    const start = options.startingOffsets;
    if (
      start !== undefined &&
      start !== 'earliest' &&
      start !== 'latest' &&
      start !== 'committed' &&
      !(typeof start === 'object' && ('timestamp' in start || 'offsets' in start))
    ) {
      throw new PlanError(`KafkaSource: unknown startingOffsets ${JSON.stringify(start)}`);
    }
    if (options.partitions !== undefined && !options.partitions.every((p) => Number.isInteger(p) && p >= 0)) {
      throw new PlanError(
        `KafkaSource: partitions must be partition numbers, got ${JSON.stringify(options.partitions)}`,
      );
    }
    deserializer(options.value, 'value', options.fields);
    deserializer(options.key, 'key');
    this.boundedness = options.stoppingOffsets === undefined ? 'unbounded' : 'bounded';
    this.name = options.name ?? `kafka:${topics.length > 0 ? topics.join(',') : String(options.topicPattern)}`;
  }

  createReader(ctx: SourceReaderContext): SourceReader<T> {
    return new KafkaSourceReader<T, K, V>(this.name, this.options, ctx);
  }
}

export function topicList(topics: string | readonly string[] | undefined): string[] {
  if (topics === undefined) return [];
  return (typeof topics === 'string' ? topics.split(',') : [...topics]).map((t) => t.trim()).filter((t) => t !== '');
}
