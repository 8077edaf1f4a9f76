/**
 * Timestamp alignment of Kafka partitions inside one reader: a stand-in for per-partition watermarks that needs no
 * runtime support (see docs/KAFKA.md, "Per-partition watermarks").
 *
 * A reader that owns several partitions gets their records chunk by chunk, one partition after another, so the
 * stream it emits can be far more out of order than any partition is: with a bounded-out-of-orderness watermark
 * after the source, records of the partition read second become late. Per-partition watermarks (Flink) take the
 * minimum of each partition's watermark instead. This reader gets the same results by choosing the order in which
 * it emits: it keeps the fetched records per partition and always emits from the partition whose "progress"
 * `max(largest timestamp it emitted, timestamp of its next record)` is smallest. Then the largest timestamp emitted
 * so far never exceeds any partition's progress, so a record that is on time within its own partition (at most B
 * older than that partition's newest record) is on time for a watermark of `newest emitted - B` too. A partition
 * with nothing buffered counts with its largest emitted timestamp; while it is the smallest, the reader waits for
 * its records (as a per-partition watermark would hold back the others) — until it finishes (bounded sources) or
 * has been waited for `idleTimeoutMs`, after which it is idle and left out until it has records again.
 */
import type { Admin } from '@platformatic/kafka';
import type { PollResult, Source, SourceOutput, SourceReader, SourceReaderContext } from '../../core/source.js';
import { brokerList, loadKafka } from './client.js';
import { KafkaSource, type KafkaSourceOptions } from './kafka-source.js';
import type { KafkaPartitionPosition, KafkaSourceState } from './kafka-source-reader.js';
import { PendingOffsetCommits } from './offset-commits.js';

export interface PartitionAlignmentOptions<T = unknown> {
  /**
   * How long the reader waits for a partition that has nothing buffered while it holds back the others; after that
   * the partition is idle (left out) until records arrive for it. Default: 10 000 ms for unbounded sources; never
   * for bounded ones (their partitions have records or are finished).
   */
  readonly idleTimeoutMs?: number;
  /**
   * Records a reader takes out of the fetch buffer ahead of emitting them (more while it waits for a partition whose
   * records are behind other partitions' in that buffer). Default 4096.
   */
  readonly maxHeldRecords?: number;
  /**
   * The time records are aligned by: the event time the job's watermark strategy assigns (e.g. `(e) => e.ts`).
   * Default: the Kafka timestamp. (Records are still emitted with their Kafka timestamps.)
   */
  readonly eventTime?: (element: T) => number;
}

/** A fetched record waiting in its partition's lane. */
class Held<T> {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: bigint,
    readonly timestamp: number,
    readonly value: T,
    /** The time the merge orders by. */
    readonly time: number,
  ) {}
}

interface Lane<T> {
  readonly topic: string;
  readonly partition: number;
  items: Held<T>[];
  head: number;
  /** Largest timestamp emitted from this partition (-∞ before the first). */
  maxTs: number;
  /** When the merge started waiting for this (empty) partition; undefined when it is not waited for. */
  waitingSince: number | undefined;
  idle: boolean;
  /** The inner reader has emitted everything up to the partition's stop offset (bounded sources). */
  drained: boolean;
}

/**
 * A {@link KafkaSource} whose readers emit their partitions' records in timestamp-aligned order (see above), with
 * the same options and the same checkpoint state as a KafkaSource (one can restore from the other's checkpoints).
 * Timestamps are the Kafka record timestamps, so they should be the event times the job's watermark strategy uses.
 */
export class AlignedKafkaSource<T, K = Buffer | null, V = T> implements Source<T> {
  readonly name: string;
  readonly boundedness: 'bounded' | 'unbounded';
  private readonly inner: KafkaSource<Held<T>, K, V>;

  constructor(
    readonly options: KafkaSourceOptions<T, K, V>,
    readonly alignment: PartitionAlignmentOptions<T> = {},
  ) {
    const map = options.map;
    const eventTime = alignment.eventTime;
    this.inner = new KafkaSource<Held<T>, K, V>({
      ...options,
      // The inner reader must not commit positions of records this reader still holds: it commits them itself.
      commitOffsets: false,
      map: (r) => {
        const value = map === undefined ? (r.value as unknown as T) : map(r);
        return new Held(r.topic, r.partition, r.offset, r.timestamp, value, eventTime?.(value) ?? r.timestamp);
      },
    });
    this.name = this.inner.name;
    this.boundedness = this.inner.boundedness;
  }

  createReader(ctx: SourceReaderContext): SourceReader<T> {
    const bounded = this.boundedness === 'bounded';
    const idle = this.alignment.idleTimeoutMs ?? (bounded ? Number.POSITIVE_INFINITY : 10_000);
    const held = this.alignment.maxHeldRecords ?? 4096;
    return new AlignedKafkaReader<T>(this.inner.createReader(ctx), this.options, this.name, bounded, idle, held);
  }
}

const PULL = 4096;

export class AlignedKafkaReader<T> implements SourceReader<T> {
  /** Lanes by topic, then partition. */
  private readonly lanes = new Map<string, Lane<T>[]>();
  private readonly all: Lane<T>[] = [];
  private held = 0;
  private innerEnded = false;
  /** The lane the merge waits for, if it is blocked. */
  private blockedOn: Lane<T> | undefined;
  private primed = false;
  private admin: Admin | undefined;
  private closed = false;
  private readonly commit: boolean;
  private lastLane: Lane<T> | undefined;
  private readonly collector: SourceOutput<Held<T>> = { collect: (h) => this.take(h) };

  constructor(
    private readonly inner: SourceReader<Held<T>>,
    private readonly options: Pick<KafkaSourceOptions<T>, 'brokers' | 'groupId' | 'commitOffsets' | 'clientId'>,
    name: string,
    private readonly bounded: boolean,
    private readonly idleTimeoutMs: number,
    private readonly maxHeld: number,
  ) {
    this.commit = options.groupId !== undefined && options.commitOffsets !== false;
    this.commits = new PendingOffsetCommits(
      name,
      options.groupId ?? '',
      () => this.admin,
      () => this.closed,
    );
  }

  async open(): Promise<void> {
    await this.inner.open?.();
    if (this.commit) {
      const lib = await loadKafka();
      this.admin = new lib.Admin({
        clientId: this.options.clientId ?? 'sluice',
        bootstrapBrokers: brokerList(this.options.brokers),
      });
    }
  }

  restoreState(states: readonly unknown[]): void {
    this.inner.restoreState?.(states);
  }

  /** The inner reader's backlog plus the records held here and not emitted yet. */
  backlog(): number | undefined {
    const inner = this.inner.backlog?.();
    return inner === undefined ? undefined : inner + this.held;
  }

  private lane(topic: string, partition: number): Lane<T> {
    let byPartition = this.lanes.get(topic);
    if (byPartition === undefined) this.lanes.set(topic, (byPartition = []));
    let lane = byPartition[partition];
    if (lane === undefined) {
      lane = {
        topic,
        partition,
        items: [],
        head: 0,
        maxTs: Number.NEGATIVE_INFINITY,
        waitingSince: undefined,
        idle: false,
        drained: false,
      };
      byPartition[partition] = lane;
      this.all.push(lane);
    }
    return lane;
  }

  private take(h: Held<T>): void {
    let lane = this.lastLane;
    if (lane === undefined || lane.partition !== h.partition || lane.topic !== h.topic) {
      lane = this.lastLane = this.lane(h.topic, h.partition);
    }
    lane.items.push(h);
    lane.idle = false;
    lane.waitingSince = undefined;
    this.held++;
  }

  /** Learns the owned partitions and which of them the inner reader has read to their stop offset. */
  private refresh(): void {
    const state = this.inner.snapshotState?.() as KafkaSourceState | undefined;
    for (const p of state?.partitions ?? []) {
      const lane = this.lane(p.topic, p.partition);
      lane.drained = p.stop !== undefined && p.offset >= p.stop;
    }
  }

  /** Takes records from the inner reader until enough are held (or more are needed for a waited-for partition). */
  private pull(): void {
    while (!this.innerEnded && (this.held < this.maxHeld || this.blockedOn !== undefined)) {
      const before = this.held;
      const r = this.inner.pollNext(this.collector, PULL);
      if (r === 'end') this.innerEnded = true;
      if (r !== 'more') break;
      if (this.blockedOn !== undefined && this.blockedOn.items.length > this.blockedOn.head) break;
      if (this.held === before) break;
    }
  }

  /**
   * Emits up to `budget` records in aligned order; stops early when the smallest-progress partition has nothing
   * buffered (`blockedOn` is then set).
   */
  private emit(out: SourceOutput<T>, budget: number): number {
    let n = 0;
    const wasBlockedOn = this.blockedOn;
    this.blockedOn = undefined;
    while (n < budget) {
      let best: Lane<T> | undefined;
      let bestKey = Number.POSITIVE_INFINITY;
      let bestEmpty = false;
      let second = Number.POSITIVE_INFINITY;
      for (const lane of this.all) {
        const empty = lane.head >= lane.items.length;
        if (empty && (lane.idle || lane.drained || this.innerEnded)) continue;
        const key = empty ? lane.maxTs : Math.max(lane.maxTs, lane.items[lane.head]!.time);
        if (best === undefined || key < bestKey || (key === bestKey && bestEmpty && !empty)) {
          if (best !== undefined) second = bestKey;
          best = lane;
          bestKey = key;
          bestEmpty = empty;
        } else if (key < second) {
          second = key;
        }
      }
      if (best === undefined) break;
      if (bestEmpty) {
        this.blockedOn = best;
        best.waitingSince ??= Date.now();
        if (Date.now() - best.waitingSince < this.idleTimeoutMs) break;
        best.idle = true;
        best.waitingSince = undefined;
        this.blockedOn = undefined;
        continue;
      }
      const items = best.items;
      let head = best.head;
      let maxTs = best.maxTs;
      while (n < budget && head < items.length) {
        const h = items[head]!;
        const key = Math.max(h.time, maxTs);
        if (key > second) break;
        head++;
        maxTs = key;
        n++;
        out.collect(h.value, h.timestamp);
      }
      this.held -= head - best.head;
      best.maxTs = maxTs;
      if (head >= items.length) {
        best.items = [];
        best.head = 0;
      } else {
        best.head = head;
      }
    }
    // A partition waited for earlier but no longer the one holding the others back starts its wait afresh next time.
    if (wasBlockedOn !== undefined && wasBlockedOn !== this.blockedOn) wasBlockedOn.waitingSince = undefined;
    return n;
  }

  pollNext(out: SourceOutput<T>, max: number): PollResult {
    if (!this.primed) {
      this.primed = true;
      this.refresh();
    }
    let emitted = 0;
    for (let round = 0; round < 4 && emitted < max; round++) {
      this.pull();
      emitted += this.emit(out, max - emitted);
      if (this.blockedOn === undefined) break;
      // Waiting for a partition: has the inner reader already read it to its end (bounded sources)?
      if (this.bounded) this.refresh();
    }
    if (emitted >= max) return 'more';
    if (this.innerEnded && this.held === 0) return 'end';
    if (this.blockedOn === undefined && this.held > 0) return 'more';
    return emitted > 0 ? 'more' : 'wait';
  }

  available(): Promise<void> {
    if (this.innerEnded || (this.blockedOn === undefined && this.held > 0)) return Promise.resolve();
    const more = this.inner.available?.() ?? Promise.resolve();
    const lane = this.blockedOn;
    if (lane === undefined || !Number.isFinite(this.idleTimeoutMs)) return more;
    const wait = Math.max(0, (lane.waitingSince ?? Date.now()) + this.idleTimeoutMs - Date.now());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, wait + 1);
    });
    return Promise.race([more, timeout]).finally(() => clearTimeout(timer));
  }

  /** The inner reader's positions, moved back to the first record still held of each partition. */
  /** Offsets committed to the group (monitoring) once their checkpoint completes. */
  private readonly commits: PendingOffsetCommits;

  notifyCheckpointComplete(checkpointId: number): void {
    this.commits.completed(checkpointId);
  }

  snapshotState(checkpointId?: number): KafkaSourceState {
    const state = this.inner.snapshotState!() as KafkaSourceState;
    const partitions = state.partitions.map((p): KafkaPartitionPosition => {
      const lane = this.lanes.get(p.topic)?.[p.partition];
      if (lane === undefined || lane.head >= lane.items.length) return p;
      return { ...p, offset: lane.items[lane.head]!.offset };
    });
    if (this.commit) this.commits.taken(checkpointId, partitions);
    return { ...state, partitions };
  }

  /** Commits positions to the consumer group, for monitoring only: fire and forget, one warning at most. */
  async close(): Promise<void> {
    this.closed = true;
    await this.commits.settle();
    await Promise.allSettled([this.inner.close?.(), this.admin?.close()]);
  }
}
