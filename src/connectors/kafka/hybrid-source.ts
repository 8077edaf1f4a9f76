/**
 * Backfill: one source that reads bounded history (files) and then continues with Kafka where the history ends.
 */
import { PlanError, SluiceError } from '../../core/errors.js';
import type { PollResult, Source, SourceOutput, SourceReader, SourceReaderContext } from '../../core/source.js';
import { AlignedKafkaSource, type PartitionAlignmentOptions } from './aligned-source.js';
import {
  type KafkaPartitionOffset,
  KafkaSource,
  type KafkaSourceOptions,
  type KafkaStartingOffsets,
} from './kafka-source.js';
import type { KafkaPartitionPosition, KafkaSourceState } from './kafka-source-reader.js';

/**
 * Where the Kafka phase starts (when it does not continue from a checkpoint):
 * - 'after-history' (default): in every partition, at the first record whose timestamp is greater than the greatest
 *   timestamp of the history (`historyTimestamp` over all history records); partitions without such a record start
 *   at their end. Without any history record, at the earliest offsets. See {@link HybridSource} for when this
 *   continues the history exactly.
 * - `{ afterTimestamp }`: the same rule with the timestamp given instead of computed from the history.
 * - `{ offsets }`: these offsets (the first record to read of each partition); partitions not listed start at the
 *   Kafka options' `startingOffsetsFallback` (default earliest).
 */
export type HybridKafkaStart =
  | 'after-history'
  | { readonly afterTimestamp: number }
  | { readonly offsets: readonly KafkaPartitionOffset[] };

export interface HybridSourceOptions<T, K = Buffer | null, V = T> {
  /**
   * The history: a bounded source, typically a `FileSource` of the archived events (with `allowEmpty: true` when the
   * archive directory may still be empty).
   */
  readonly history: Source<T>;
  /**
   * The event time (epoch ms) of a history record. History records are emitted with it as their timestamp (Kafka
   * records carry their Kafka timestamps), and 'after-history' compares it with Kafka timestamps.
   */
  readonly historyTimestamp: (record: T) => number;
  /** The live part. `topics` is required (no pattern); `startingOffsets` is not allowed: see `start`. */
  readonly kafka: KafkaSourceOptions<T, K, V>;
  /** Where the Kafka phase starts. Default 'after-history'. */
  readonly start?: HybridKafkaStart;
  /**
   * Emit the records of a reader's partitions in timestamp-aligned order (see {@link AlignedKafkaSource}): `true` or
   * options. Default false (records in fetch order, as {@link KafkaSource}).
   */
  readonly alignPartitions?: boolean | PartitionAlignmentOptions<T>;
  /**
   * Called (on the reader's thread) when a reader switches to Kafka, with the start rule it used: the computed cut
   * timestamp for 'after-history', or undefined when continuing from a checkpoint or given offsets.
   */
  readonly onSwitch?: (info: { subtaskIndex: number; cutTimestamp: number | undefined; restored: boolean }) => void;
  /** Name in plans. Default `hybrid(<history>, <kafka>)`. */
  readonly name?: string;
}

/** A hybrid reader's checkpoint state. */
export interface HybridSourceState {
  readonly kind: 'sluice.hybrid';
  readonly subtask: number;
  readonly parallelism: number;
  readonly phase: 'history' | 'kafka';
  /** The history reader's state (in the Kafka phase: its final state, every owned file completed). */
  readonly history: unknown;
  /** Greatest history timestamp emitted by this reader and by the readers whose states it restored (-∞: none). */
  readonly historyMax: number;
  /** The cut timestamp of 'after-history', once some reader computed it (it is the same for all readers). */
  readonly cut: number | undefined;
  /** Kafka phase: the Kafka reader's state. */
  readonly kafka: KafkaSourceState | undefined;
  /** History phase: Kafka states restored from readers of an earlier run, kept until this reader switches. */
  readonly pendingKafka: readonly KafkaSourceState[];
}

/**
 * Reads bounded history, then Kafka, as one source: downstream operators see one stream, so keyed state, windows
 * and the watermark simply continue across the switch. Reader i of p reads its share of the history (as the
 * history source splits it), then switches to the Kafka partitions it owns ({@link partitionOwner}) — readers switch
 * independently, each when its own history is done.
 *
 * **Where Kafka starts.** With given offsets, there. With 'after-history' (the default), the cut timestamp
 * T = the greatest `historyTimestamp` over the whole history (every reader computes it: from what it read itself
 * plus a scan of the other readers' history files, which costs one more read of those at parallelism > 1), and each
 * partition starts at its first record with a timestamp > T (Kafka's ListOffsets for T + 1), or at its end if there
 * is none. This continues the history with no gap and no duplicate exactly when, for every partition, the history
 * holds the records of that partition that come before its first record with a timestamp > T, and no others: e.g.
 * an archive cut at a time C (each partition's records up to its first record after C), with Kafka timestamps equal
 * to the history's event times. Records of the history that came after such a record in Kafka (out of order across
 * the cut) would be read twice; records of Kafka before it that are missing from the history would be lost.
 *
 * **Checkpoints.** The state records the phase and the inner reader's state: in the history phase the history
 * reader's position (plus the greatest timestamp so far, for T); in the Kafka phase the Kafka positions (and T). A
 * restore continues in the phase it was in; a reader restored in the Kafka phase skips its (completed) history. At
 * another parallelism, each reader takes its files and partitions; partitions whose previous owner was still in the
 * history phase start by the same rule (the cut is kept in the states once computed).
 */
export class HybridSource<T, K = Buffer | null, V = T> implements Source<T> {
  readonly name: string;
  readonly boundedness: 'bounded' | 'unbounded';

  /** @throws PlanError for options that do not fit together. */
  constructor(readonly options: HybridSourceOptions<T, K, V>) {
    if (options.history.boundedness !== 'bounded') throw new PlanError('HybridSource: the history must be bounded');
    if (options.kafka.topicPattern !== undefined || options.kafka.topics === undefined) {
      throw new PlanError('HybridSource: the Kafka options need topics (a topicPattern is not supported)');
    }
    if (options.kafka.startingOffsets !== undefined) {
      throw new PlanError("HybridSource: set the Kafka phase's start with `start`, not kafka.startingOffsets");
    }
    const start = options.start ?? 'after-history';
    const valid =
      start === 'after-history' ||
      (typeof start === 'object' &&
        start !== null &&
        ('offsets' in start ? Array.isArray(start.offsets) : Number.isFinite(start.afterTimestamp)));
    if (!valid) {
      throw new PlanError(`HybridSource: unknown start ${JSON.stringify(start)}`);
    }
    // Validates the Kafka options now, at plan time.
    const probe = new KafkaSource(options.kafka);
    this.boundedness = probe.boundedness;
    this.name = options.name ?? `hybrid(${options.history.name}, ${probe.name})`;
  }

  createReader(ctx: SourceReaderContext): SourceReader<T> {
    return new HybridSourceReader<T, K, V>(this, ctx);
  }
}

type Phase = 'history' | 'switching' | 'kafka';

class HybridSourceReader<T, K, V> implements SourceReader<T> {
  private phase: Phase = 'history';
  private readonly history: SourceReader<T>;
  private kafka: SourceReader<T> | undefined;
  private switching: Promise<void> | undefined;
  private failure: unknown;
  private historyMax = Number.NEGATIVE_INFINITY;
  private restoredHistory: unknown[] = [];
  private restoredKafka: KafkaSourceState[] = [];
  private restored = false;
  private cut: number | undefined;
  private finalHistoryState: unknown;
  private closed = false;
  private downstream: SourceOutput<T> | undefined;
  private readonly historyOut: SourceOutput<T>;

  constructor(
    private readonly source: HybridSource<T, K, V>,
    private readonly ctx: SourceReaderContext,
  ) {
    this.history = source.options.history.createReader(ctx);
    const timestampOf = source.options.historyTimestamp;
    this.historyOut = {
      collect: (value) => {
        const ts = timestampOf(value);
        if (ts > this.historyMax) this.historyMax = ts;
        this.downstream!.collect(value, ts);
      },
    };
  }

  async open(): Promise<void> {
    await this.history.open?.();
  }

  restoreState(states: readonly unknown[]): void {
    const mine = states.map(toHybridState);
    this.restored = true;
    this.restoredHistory = mine.map((s) => s.history);
    for (const s of mine) {
      if (s.historyMax > this.historyMax) this.historyMax = s.historyMax;
      if (s.cut !== undefined) this.cut = s.cut;
      if (s.kafka !== undefined) this.restoredKafka.push(s.kafka);
      this.restoredKafka.push(...s.pendingKafka);
    }
    this.history.restoreState?.(this.restoredHistory);
  }

  pollNext(out: SourceOutput<T>, max: number): PollResult {
    if (this.failure !== undefined) throw this.failure;
    if (this.phase === 'history') {
      this.downstream = out;
      const r = this.history.pollNext(this.historyOut, max);
      if (r !== 'end') return r;
      this.finalHistoryState = this.history.snapshotState?.();
      this.phase = 'switching';
      this.switching = this.switchToKafka().then(
        () => {
          this.phase = 'kafka';
        },
        (e: unknown) => {
          this.failure = e;
        },
      );
      return 'wait';
    }
    if (this.phase === 'switching') return 'wait';
    return this.kafka!.pollNext(out, max);
  }

  /** The history reader's backlog in the history phase (if it tells), the Kafka reader's after the switch. */
  backlog(): number | undefined {
    if (this.phase === 'history') return this.history.backlog?.();
    if (this.phase === 'switching') return undefined;
    return this.kafka!.backlog?.();
  }

  available(): Promise<void> {
    if (this.phase === 'history') return this.history.available?.() ?? Promise.resolve();
    if (this.phase === 'switching') return this.switching!;
    return this.kafka!.available?.() ?? Promise.resolve();
  }

  /** Opens the Kafka reader at the offsets that continue the history (or the restored positions). */
  private async switchToKafka(): Promise<void> {
    await this.history.close?.();
    const options = this.source.options;
    const start = options.start ?? 'after-history';
    let startingOffsets: KafkaStartingOffsets;
    let cut: number | undefined;
    if (start === 'after-history' || 'afterTimestamp' in start) {
      if (start !== 'after-history') cut = start.afterTimestamp;
      else cut = this.cut ?? (await this.computeCut());
      this.cut = cut;
      startingOffsets = Number.isFinite(cut) ? { timestamp: cut + 1 } : 'earliest';
    } else {
      startingOffsets = { offsets: start.offsets };
    }
    const kafkaOptions: KafkaSourceOptions<T, K, V> = { ...options.kafka, startingOffsets };
    const { alignPartitions } = options;
    const source: Source<T> = alignPartitions
      ? new AlignedKafkaSource<T, K, V>(kafkaOptions, alignPartitions === true ? {} : alignPartitions)
      : new KafkaSource<T, K, V>(kafkaOptions);
    const reader = source.createReader(this.ctx);
    try {
      await reader.open?.();
      if (this.restoredKafka.length > 0) {
        // Positions from the checkpoint win; partitions no earlier reader had started keep the start computed above
        // (a plain restore would start them at their earliest offset).
        const fresh = reader.snapshotState!() as KafkaSourceState;
        reader.restoreState!([{ ...fresh, partitions: overlay(fresh.partitions, this.restoredKafka) }]);
      }
    } catch (e) {
      await reader.close?.();
      throw e;
    }
    if (this.closed) {
      await reader.close?.();
      return;
    }
    this.kafka = reader;
    options.onSwitch?.({
      subtaskIndex: this.ctx.subtaskIndex,
      cutTimestamp: cut,
      restored: this.restoredKafka.length > 0,
    });
  }

  /**
   * The greatest history timestamp: what this reader (and the restored readers) emitted, and what every other
   * reader of this parallelism still has to read (scanned here with readers of the history source of its own).
   */
  private async computeCut(): Promise<number> {
    let max = this.historyMax;
    const { parallelism, subtaskIndex } = this.ctx;
    const timestampOf = this.source.options.historyTimestamp;
    const scan: SourceOutput<T> = {
      collect: (value) => {
        const ts = timestampOf(value);
        if (ts > max) max = ts;
      },
    };
    for (let j = 0; j < parallelism; j++) {
      if (j === subtaskIndex || this.closed) continue;
      const reader = this.source.options.history.createReader({
        subtaskIndex: j,
        parallelism,
        // The reader that owns the record reports it.
        reportBadRecord: () => {},
      });
      try {
        await reader.open?.();
        if (this.restored) reader.restoreState?.(this.restoredHistory);
        for (;;) {
          const r = reader.pollNext(scan, 8192);
          if (r === 'end' || this.closed) break;
          if (r === 'wait') await reader.available?.();
          else await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        await reader.close?.();
      }
    }
    return max;
  }

  notifyCheckpointComplete(checkpointId: number): void | Promise<void> {
    return this.kafka?.notifyCheckpointComplete?.(checkpointId);
  }

  snapshotState(checkpointId?: number): HybridSourceState {
    const base = {
      kind: 'sluice.hybrid' as const,
      subtask: this.ctx.subtaskIndex,
      parallelism: this.ctx.parallelism,
      historyMax: this.historyMax,
      cut: this.cut,
    };
    if (this.phase === 'kafka') {
      return {
        ...base,
        phase: 'kafka',
        history: this.finalHistoryState,
        kafka: this.kafka!.snapshotState!(checkpointId) as KafkaSourceState,
        pendingKafka: [],
      };
    }
    return {
      ...base,
      phase: 'history',
      history: this.phase === 'history' ? this.history.snapshotState?.() : this.finalHistoryState,
      kafka: undefined,
      pendingKafka: this.restoredKafka,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.switching;
    await Promise.allSettled([this.phase === 'history' ? this.history.close?.() : undefined, this.kafka?.close?.()]);
  }
}

/** `fresh` positions, replaced by the furthest restored position of the same partition where there is one. */
function overlay(
  fresh: readonly KafkaPartitionPosition[],
  restored: readonly KafkaSourceState[],
): KafkaPartitionPosition[] {
  const known = new Map<string, KafkaPartitionPosition>();
  for (const s of restored) {
    for (const p of s.partitions) {
      const key = `${p.topic}:${p.partition}`;
      const seen = known.get(key);
      if (seen === undefined || seen.offset < p.offset) known.set(key, p);
    }
  }
  return fresh.map((p) => {
    const r = known.get(`${p.topic}:${p.partition}`);
    if (r === undefined) return p;
    return r.stop === undefined && p.stop !== undefined ? { ...r, stop: p.stop } : r;
  });
}

function toHybridState(value: unknown): HybridSourceState {
  const s = value as Partial<HybridSourceState> | null;
  if (
    s === null ||
    typeof s !== 'object' ||
    s.kind !== 'sluice.hybrid' ||
    (s.phase !== 'history' && s.phase !== 'kafka') ||
    typeof s.historyMax !== 'number' ||
    !Array.isArray(s.pendingKafka)
  ) {
    throw new SluiceError(
      `invalid hybrid source state (${s === null || typeof s !== 'object' ? typeof s : `phase ${String(s.phase)}`})`,
    );
  }
  return s as HybridSourceState;
}
