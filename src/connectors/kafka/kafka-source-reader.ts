import type { Admin, ClusterMetadata, Consumer, fetchV17, RecordsBatch } from '@platformatic/kafka';
import { SluiceError } from '../../core/errors.js';
import type { PollResult, SourceOutput, SourceReader, SourceReaderContext } from '../../core/source.js';
import {
  brokerList,
  describeKafkaError,
  type KafkaLib,
  loadKafka,
  partitionOwner,
  protocolErrorIds,
} from './client.js';
import type { KafkaRecord, KafkaSourceOptions } from './kafka-source.js';
import { topicList } from './kafka-source.js';
import { PendingOffsetCommits } from './offset-commits.js';
import { negotiateApi } from './protocol-api.js';
import { deserializer } from './serde.js';

/** One partition's entry in a reader's checkpointed state. */
export interface KafkaPartitionPosition {
  readonly topic: string;
  readonly partition: number;
  /** The offset of the next record to emit. */
  readonly offset: bigint;
  /** Bounded sources: the end offset (exclusive). */
  readonly stop?: bigint;
}

/** What a Kafka source reader stores in a checkpoint. */
export interface KafkaSourceState {
  readonly subtask: number;
  readonly parallelism: number;
  readonly partitions: readonly KafkaPartitionPosition[];
}

interface Partition {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  /** Next offset to emit: advances as records leave the buffer (what a snapshot stores). */
  position: bigint;
  /** Next offset to fetch. */
  fetchOffset: bigint;
  /** Exclusive end (bounded sources). */
  stop: bigint | undefined;
  /** Set for partitions that must first find their earliest offset (discovered later, or new since a checkpoint). */
  startAtEarliest: boolean;
  /**
   * The partition's end as last seen (high watermark; last stable offset under read_committed): from the latest fetch
   * response, or from a ListOffsets of the latest offset at open. Undefined until known. For {@link backlog}.
   */
  end: bigint | undefined;
}

/** The parts of a fetch response partition the reader uses (the same in every Fetch version the client speaks). */
interface FetchedPartition {
  readonly partitionIndex: number;
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  readonly logStartOffset: bigint;
  readonly abortedTransactions: readonly { readonly producerId: bigint; readonly firstOffset: bigint }[];
  readonly records?: RecordsBatch[];
}

interface FetchedResponse {
  readonly responses?: readonly { readonly topicId: string; readonly partitions: readonly FetchedPartition[] }[];
}

interface RawRecord {
  readonly offset: bigint;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: [Buffer | null, Buffer | null][];
}

/** Records of one partition from one fetch, in offset order; after them the partition's position is `end`. */
interface Chunk {
  readonly part: Partition;
  readonly records: RawRecord[];
  index: number;
  readonly end: bigint;
}

const IS_LOG_APPEND_TIME = 1 << 3;
const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;
const ABORT_MARKER = 0;
const READ_COMMITTED = 1;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Fetch failures in a row (about a minute of retries) before the reader gives up and fails the job. */
const MAX_FETCH_FAILURES = 60;

/**
 * A Kafka source reader: a background fetch loop fills a bounded buffer of records per partition chunk; `pollNext`
 * drains it synchronously. See {@link KafkaSource}.
 */
export class KafkaSourceReader<T, K, V> implements SourceReader<T> {
  private lib!: KafkaLib;
  private consumer!: Consumer;
  private admin: Admin | undefined;
  private readonly parts = new Map<string, Partition>();
  private readonly chunks: Chunk[] = [];
  private buffered = 0;
  private error: unknown;
  private done = false;
  private closed = false;
  private pump: Promise<void> | undefined;
  private waiters: (() => void)[] = [];
  private wakePump: (() => void) | undefined;
  private nextDiscovery = 0;
  private splitsAnnounced = 0;
  private readonly topics: string[];
  private readonly bounded: boolean;
  private readonly readCommitted: boolean;
  private readonly maxBuffered: number;
  private readonly decodeValue: (b: Buffer | null) => V;
  private readonly decodeKey: (b: Buffer | null) => K;
  private readonly groupId: string;
  private readonly commitOffsets: boolean;
  private readonly discoveryMs: number;

  constructor(
    private readonly name: string,
    private readonly options: KafkaSourceOptions<T, K, V>,
    private readonly ctx: SourceReaderContext,
  ) {
    this.topics = topicList(options.topics);
    this.bounded = options.stoppingOffsets !== undefined;
    this.readCommitted = (options.isolationLevel ?? 'read_committed') === 'read_committed';
    this.maxBuffered = Math.max(1, options.maxBufferedRecords ?? 20_000);
    this.decodeValue = deserializer(options.value, 'value', options.fields);
    this.decodeKey = deserializer(options.key ?? 'bytes', 'key');
    this.groupId = options.groupId ?? `sluice-${this.name}`;
    this.commitOffsets = options.groupId !== undefined && options.commitOffsets !== false;
    this.discoveryMs = this.bounded ? 0 : (options.partitionDiscoveryIntervalMs ?? 30_000);
    this.commits = new PendingOffsetCommits(
      name,
      this.groupId,
      () => this.admin,
      () => this.closed,
    );
  }

  /** Connects, finds this reader's partitions and resolves their starting (and, when bounded, stopping) offsets. */
  async open(): Promise<void> {
    this.lib = await loadKafka();
    const common = {
      clientId: this.options.clientId ?? 'sluice',
      bootstrapBrokers: brokerList(this.options.brokers),
      retries: 5,
      retryDelay: 250,
    };
    this.consumer = new this.lib.Consumer({
      ...common,
      groupId: this.groupId,
      isolationLevel: this.readCommitted ? READ_COMMITTED : 0,
    });
    if (this.options.topicPattern !== undefined || this.commitOffsets) this.admin = new this.lib.Admin(common);
    const found = await this.discover();
    await this.resolveStart(found);
    if (this.bounded) await this.resolveStop(found);
    this.nextDiscovery = Date.now() + this.discoveryMs;
  }

  /** Adds the owned partitions not known yet; returns them. */
  private async discover(): Promise<Partition[]> {
    let topics = this.topics;
    if (this.options.topicPattern !== undefined) {
      const pattern = this.options.topicPattern;
      topics = (await this.admin!.listTopics({ includeInternals: false })).filter((t) => {
        pattern.lastIndex = 0;
        return pattern.test(t);
      });
    }
    if (topics.length === 0) return [];
    let metadata: ClusterMetadata;
    try {
      metadata = await this.consumer.metadata({ topics, forceUpdate: true });
    } catch (e) {
      if (protocolErrorIds(e).includes('UNKNOWN_TOPIC_OR_PARTITION')) {
        throw new SluiceError(`${this.name}: a Kafka topic of ${topics.join(', ')} does not exist`);
      }
      throw e;
    }
    const added: Partition[] = [];
    const p = this.ctx.parallelism;
    const only = this.options.partitions === undefined ? undefined : new Set(this.options.partitions);
    for (const topic of topics) {
      const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
      for (let partition = 0; partition < count; partition++) {
        const key = `${topic}:${partition}`;
        if (this.parts.has(key) || partitionOwner(topic, partition, p) !== this.ctx.subtaskIndex) continue;
        if (only !== undefined && !only.has(partition)) continue;
        const part: Partition = {
          topic,
          partition,
          key,
          position: 0n,
          fetchOffset: 0n,
          stop: undefined,
          startAtEarliest: false,
          end: undefined,
        };
        this.parts.set(key, part);
        added.push(part);
      }
    }
    return added;
  }

  private async listOffsets(parts: readonly Partition[], timestamp: bigint): Promise<Map<string, bigint>> {
    const result = new Map<string, bigint>();
    if (parts.length === 0) return result;
    const partitions: Record<string, number[]> = {};
    for (const part of parts) (partitions[part.topic] ??= []).push(part.partition);
    const offsets = await this.consumer.listOffsets({
      topics: Object.keys(partitions),
      partitions,
      timestamp,
      isolationLevel: this.readCommitted ? READ_COMMITTED : 0,
    });
    for (const part of parts) {
      const o = offsets.get(part.topic)?.[part.partition];
      if (o !== undefined && o >= 0n) {
        result.set(part.key, o);
        // The latest offset (under read_committed the last stable one) is the partition's end until a fetch tells.
        if (timestamp === -1n && part.end === undefined) part.end = o;
      }
    }
    return result;
  }

  private async resolveStart(parts: readonly Partition[]): Promise<void> {
    if (parts.length === 0) return;
    const start = this.options.startingOffsets ?? 'earliest';
    const fallback = this.options.startingOffsetsFallback ?? 'earliest';
    let known = new Map<string, bigint>();
    let rest: 'earliest' | 'latest' = fallback;
    if (start === 'earliest' || start === 'latest') {
      rest = start;
    } else if (start === 'committed') {
      const topics = new Map<string, number[]>();
      for (const part of parts) topics.set(part.topic, [...(topics.get(part.topic) ?? []), part.partition]);
      const committed = await this.consumer.listCommittedOffsets({
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      });
      for (const part of parts) {
        const o = committed.get(part.topic)?.[part.partition];
        if (o !== undefined && o >= 0n) known.set(part.key, o);
      }
    } else if ('timestamp' in start) {
      known = await this.listOffsets(parts, BigInt(Math.trunc(start.timestamp)));
      rest = 'latest';
    } else {
      for (const o of start.offsets) known.set(`${o.topic}:${o.partition}`, BigInt(o.offset));
    }
    const missing = parts.filter((p) => !known.has(p.key));
    const others = await this.listOffsets(missing, rest === 'earliest' ? -2n : -1n);
    for (const part of parts) {
      const o = known.get(part.key) ?? others.get(part.key);
      if (o === undefined) throw new SluiceError(`${this.name}: no ${rest} offset for ${part.key}`);
      part.position = part.fetchOffset = o;
    }
  }

  private async resolveStop(parts: readonly Partition[]): Promise<void> {
    const ends = await this.listOffsets(parts, -1n);
    for (const part of parts) {
      const o = ends.get(part.key);
      if (o === undefined) throw new SluiceError(`${this.name}: no end offset for ${part.key}`);
      part.stop = o;
    }
  }

  /**
   * Takes the positions of all previous readers and keeps those of its own partitions. Owned partitions no previous
   * reader knew (created or matched since the checkpoint) start at their earliest offset.
   */
  restoreState(states: readonly unknown[]): void {
    const merged = new Map<string, KafkaPartitionPosition>();
    for (const s of states as (KafkaSourceState | undefined)[]) {
      for (const p of s?.partitions ?? []) {
        const key = `${p.topic}:${p.partition}`;
        const seen = merged.get(key);
        if (seen === undefined || seen.offset < p.offset) merged.set(key, p);
      }
    }
    for (const part of this.parts.values()) {
      const p = merged.get(part.key);
      if (p === undefined) {
        part.startAtEarliest = true;
        continue;
      }
      part.position = part.fetchOffset = p.offset;
      if (this.bounded && p.stop !== undefined) part.stop = p.stop;
    }
  }

  /** Offsets committed to the group (monitoring) once their checkpoint completes. */
  private readonly commits: PendingOffsetCommits;

  snapshotState(checkpointId?: number): KafkaSourceState {
    const partitions: KafkaPartitionPosition[] = [];
    for (const p of this.parts.values()) {
      if (p.startAtEarliest) continue; // not started: a restore starts it at its earliest offset again
      partitions.push(
        p.stop === undefined
          ? { topic: p.topic, partition: p.partition, offset: p.position }
          : { topic: p.topic, partition: p.partition, offset: p.position, stop: p.stop },
      );
    }
    if (this.commitOffsets) this.commits.taken(checkpointId, partitions);
    return { subtask: this.ctx.subtaskIndex, parallelism: this.ctx.parallelism, partitions };
  }

  notifyCheckpointComplete(checkpointId: number): void {
    this.commits.completed(checkpointId);
  }

  /**
   * The records of the owned partitions not emitted yet: per partition its end (high watermark, or last stable
   * offset under read_committed; for bounded sources at most the stopping offset) minus the next offset to emit,
   * never negative, summed. Offsets, so aborted records and transaction markers not yet passed count too. The ends
   * come from the fetch responses (no requests of its own): while the fetch buffer is full they are as old as the
   * last fetch. Undefined while a partition's end is unknown (not fetched yet, no ListOffsets of it at open).
   */
  backlog(): number | undefined {
    let total = 0n;
    for (const part of this.parts.values()) {
      if (part.end === undefined || part.startAtEarliest) return undefined;
      const end = part.stop !== undefined && part.stop < part.end ? part.stop : part.end;
      if (end > part.position) total += end - part.position;
    }
    return total > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(total);
  }

  pollNext(out: SourceOutput<T>, max: number): PollResult {
    if (this.error !== undefined) throw this.error;
    this.pump ??= this.runPump();
    // Per-partition watermarks (when the job asks for them): every owned partition is a split from the start, so
    // one that has not delivered yet holds the watermark back until the strategy's idleness timeout, as in Flink.
    if (out.forSplit !== undefined && this.splitsAnnounced < this.parts.size) {
      for (const part of this.parts.values()) out.forSplit(part.key);
      this.splitsAnnounced = this.parts.size;
    }
    let emitted = 0;
    const map = this.options.map;
    while (emitted < max && this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      const part = chunk.part;
      const target = out.forSplit?.(part.key) ?? out;
      const records = chunk.records;
      while (emitted < max && chunk.index < records.length) {
        const r = records[chunk.index++]!;
        part.position = r.offset + 1n;
        emitted++;
        let value: V;
        let key: K | undefined;
        try {
          value = this.decodeValue(r.value);
          if (map !== undefined) key = this.decodeKey(r.key);
        } catch (e) {
          this.ctx.reportBadRecord({
            source: this.name,
            reason: `${part.topic}/${part.partition} offset ${r.offset}: ${e instanceof Error ? e.message : String(e)}`,
            ...(r.value === null ? {} : { raw: r.value.toString('utf8', 0, Math.min(r.value.length, 1024)) }),
          });
          continue;
        }
        if (map === undefined) {
          target.collect(value as unknown as T, r.timestamp);
        } else {
          target.collect(map(toRecord(part, r, key as K, value)), r.timestamp);
        }
      }
      if (chunk.index >= records.length) {
        if (chunk.end > part.position) part.position = chunk.end;
        this.chunks.shift();
        // A bounded partition read to its stopping offset no longer holds the watermark.
        if (part.stop !== undefined && part.position >= part.stop) out.releaseSplit?.(part.key);
      }
    }
    this.buffered -= emitted;
    if (this.buffered < this.maxBuffered) this.wakePump?.();
    if (this.chunks.length > 0) return 'more';
    if (this.done) return 'end';
    return 'wait';
  }

  available(): Promise<void> {
    this.pump ??= this.runPump();
    if (this.error !== undefined || this.chunks.length > 0 || this.done || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Sleeps until `ms` passed or the buffer drained / the reader closed. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wakePump === done) self.wakePump = undefined;
        resolve();
      }
      this.wakePump = done;
    });
  }

  /** The background fetch loop. */
  private async runPump(): Promise<void> {
    let failures = 0;
    try {
      while (!this.closed) {
        if (this.buffered >= this.maxBuffered) {
          await this.pause(1000);
          continue;
        }
        if (this.discoveryMs > 0 && Date.now() >= this.nextDiscovery) {
          this.nextDiscovery = Date.now() + this.discoveryMs;
          for (const part of await this.discover()) part.startAtEarliest = true;
        }
        const early = [...this.parts.values()].filter((p) => p.startAtEarliest);
        if (early.length > 0) {
          const earliest = await this.listOffsets(early, -2n);
          for (const part of early) {
            part.position = part.fetchOffset = earliest.get(part.key) ?? 0n;
            part.startAtEarliest = false;
          }
        }
        const active = [...this.parts.values()].filter((p) => p.stop === undefined || p.fetchOffset < p.stop);
        if (active.length === 0) {
          if (this.bounded) {
            this.done = true;
            this.notify();
            return;
          }
          await this.pause(Math.max(100, Math.min(this.discoveryMs || 1000, this.nextDiscovery - Date.now())));
          continue;
        }
        const ok = await this.fetchRound(active);
        if (ok) {
          failures = 0;
        } else if (++failures >= MAX_FETCH_FAILURES) {
          throw new SluiceError(`${this.name}: fetching failed ${failures} times in a row`);
        } else {
          await this.pause(Math.min(1000, 100 * failures));
        }
      }
    } catch (e) {
      if (!this.closed) {
        this.error = e instanceof SluiceError ? e : new SluiceError(`${this.name}: ${describeKafkaError(e)}`);
      }
    } finally {
      this.notify();
    }
  }

  /** One fetch from the leader of every active partition; false when any failed (to be retried). */
  private async fetchRound(active: readonly Partition[]): Promise<boolean> {
    const topics = [...new Set(active.map((p) => p.topic))];
    const metadata = await this.consumer.metadata({ topics });
    const byLeader = new Map<number, Partition[]>();
    for (const part of active) {
      const leader = metadata.topics.get(part.topic)?.partitions[part.partition]?.leader ?? -1;
      if (leader < 0) return false;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), part]);
    }
    const results = await Promise.all([...byLeader].map(([leader, parts]) => this.fetchFrom(leader, parts, metadata)));
    return results.every((r) => r);
  }

  private async fetchFrom(leader: number, parts: readonly Partition[], metadata: ClusterMetadata): Promise<boolean> {
    const byTopicId = new Map<string, Partition[]>();
    const partitionMaxBytes = this.options.fetchPartitionMaxBytes ?? 2 * 1024 * 1024;
    for (const part of parts) {
      const id = metadata.topics.get(part.topic)!.id;
      byTopicId.set(id, [...(byTopicId.get(id) ?? []), part]);
    }
    const request = [...byTopicId].map(([topicId, ps]) => ({
      topicId,
      partitions: ps.map((p) => ({
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        partitionMaxBytes,
        currentLeaderEpoch: -1,
        lastFetchedEpoch: -1,
      })),
    }));
    let response: FetchedResponse | undefined;
    let ok = true;
    try {
      response = await this.fetchRequest(leader, request);
    } catch (e) {
      // Partition errors come with the response: use the partitions that succeeded, handle the others.
      response = findResponse(e);
      if (response?.responses === undefined) {
        this.consumer.clearMetadata();
        return false;
      }
    }
    if (this.closed || response.responses === undefined) return true;
    for (const topicResponse of response.responses) {
      const ps = byTopicId.get(topicResponse.topicId) ?? [];
      for (const pr of topicResponse.partitions) {
        const part = ps.find((p) => p.partition === pr.partitionIndex);
        if (part === undefined) continue;
        if (pr.errorCode === 0) {
          const end = this.readCommitted && pr.lastStableOffset >= 0n ? pr.lastStableOffset : pr.highWatermark;
          if (end >= 0n) part.end = end;
          this.accept(part, pr);
        } else if (pr.errorCode === 1) {
          // OFFSET_OUT_OF_RANGE: the records were deleted (retention) before they were read.
          const reset = pr.logStartOffset >= 0n ? pr.logStartOffset : 0n;
          process.stderr.write(
            `warning: ${this.name}: offset ${part.fetchOffset} of ${part.key} is out of range; continuing at ${reset}\n`,
          );
          if (reset > part.fetchOffset) {
            part.fetchOffset = reset;
            this.push({ part, records: [], index: 0, end: reset });
          } else {
            ok = false;
          }
        } else {
          this.consumer.clearMetadata();
          ok = false;
        }
      }
    }
    return ok;
  }

  /**
   * One Fetch request to a partition leader, through the client's public protocol layer rather than
   * `Consumer.fetch`: under read_committed that method filters aborted batches itself, with one range per producer
   * id, which drops committed batches when a producer id has several aborted transactions in one response (the
   * exactly-once sink reuses producer ids across transactions; measured: 2,005 of 24,000 committed records lost).
   * The broker is asked for READ_COMMITTED (records up to the last stable offset, with the aborted transactions) and
   * {@link accept} filters as the Java consumer does. The answer's shape (batches, attributes, control keys,
   * aborted transactions) is checked by test/kafka-client-contract.test.ts.
   */
  private async fetchRequest(leader: number, topics: fetchV17.FetchRequestTopic[]): Promise<FetchedResponse> {
    const connection = (await this.consumer.connectToBrokers([leader])).get(leader);
    if (connection === undefined) throw new SluiceError(`${this.name}: partition leader ${leader} is not known`);
    const lib = this.lib;
    // Fetch v13+ name topics by id; all of these versions take the same arguments.
    const versions = [lib.fetchV17.api, lib.fetchV16.api, lib.fetchV15.api, lib.fetchV14.api, lib.fetchV13.api];
    const fetch = await negotiateApi(lib, connection, 'Fetch', versions);
    return fetch.async(
      connection,
      this.options.fetchMaxWaitMs ?? 250,
      1,
      this.options.fetchMaxBytes ?? 8 * 1024 * 1024,
      this.readCommitted ? READ_COMMITTED : 0,
      // No fetch session (KIP-227): every request names its partitions.
      0,
      -1,
      topics,
      [],
      '',
    );
  }

  /** Takes one partition's fetched batches: skips control batches and aborted transactions, stops at `stop`. */
  private accept(part: Partition, pr: FetchedPartition): void {
    const batches: RecordsBatch[] = pr.records ?? [];
    if (batches.length === 0) return;
    const aborted = this.readCommitted
      ? [...pr.abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
      : [];
    let nextAborted = 0;
    const abortedProducers = new Set<bigint>();
    const records: RawRecord[] = [];
    const from = part.fetchOffset;
    let next = from;
    for (const batch of batches) {
      const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
      const control = (batch.attributes & IS_CONTROL) !== 0;
      // Batches before the fetch position still count for the transaction bookkeeping: an abort marker there ends
      // an aborted transaction of its producer id, which the sink reuses for its next (committed) transactions.
      let skip = control || last < from;
      if (this.readCommitted && (batch.attributes & IS_TRANSACTIONAL) !== 0) {
        // As the Java consumer: an aborted transaction covers its producer's batches from its first offset up to
        // that producer's abort marker.
        while (nextAborted < aborted.length && aborted[nextAborted]!.firstOffset <= last) {
          abortedProducers.add(aborted[nextAborted++]!.producerId);
        }
        if (control) {
          if (batch.records[0]?.key?.readInt16BE(2) === ABORT_MARKER) abortedProducers.delete(batch.producerId);
        } else if (abortedProducers.has(batch.producerId)) {
          skip = true;
        }
      }
      if (!skip) {
        const logAppendTime = (batch.attributes & IS_LOG_APPEND_TIME) !== 0;
        for (const r of batch.records) {
          const offset = batch.firstOffset + BigInt(r.offsetDelta);
          if (offset < from) continue;
          if (part.stop !== undefined && offset >= part.stop) break;
          records.push({
            offset,
            timestamp: Number(logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + r.timestampDelta),
            key: r.key,
            value: r.value,
            headers: r.headers,
          });
        }
      }
      if (last >= from) next = last + 1n;
    }
    if (next <= from) return;
    part.fetchOffset = next;
    this.push({ part, records, index: 0, end: next });
  }

  private push(chunk: Chunk): void {
    this.chunks.push(chunk);
    this.buffered += chunk.records.length;
    this.notify();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakePump?.();
    this.notify();
    await this.pump?.catch(() => {});
    await this.commits.settle();
    await Promise.allSettled([this.consumer?.close(true), this.admin?.close()]);
  }
}

function toRecord<K, V>(part: Partition, r: RawRecord, key: K, value: V): KafkaRecord<K, V> {
  const headers = new Map<string, Buffer | null>();
  for (const [k, v] of r.headers) if (k !== null) headers.set(k.toString('utf8'), v);
  return {
    topic: part.topic,
    partition: part.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key,
    value,
    headers,
  };
}

/**
 * The fetch response a client error carries (possibly inside the errors of its retries), if any: the client's
 * ResponseError has it as `response` (test/kafka-client-contract.test.ts).
 */
function findResponse(error: unknown, depth = 0): FetchedResponse | undefined {
  if (error === null || typeof error !== 'object' || depth > 4) return undefined;
  const response = (error as { response?: FetchedResponse }).response;
  if (response?.responses !== undefined) return response;
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested)) {
    for (let i = nested.length - 1; i >= 0; i--) {
      const found = findResponse(nested[i], depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
