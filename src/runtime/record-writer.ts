import type { Batch } from '../core/batch.js';
import { KeySelectorError, summarizeRecord } from '../core/errors.js';
import { type Key, keyGroupOf, type NormalizedKey, normalizeKey, subtaskForKeyGroup } from '../core/key.js';
import type { Partitioning } from '../plan/nodes.js';
import type { ChannelTransport } from './channel-message.js';

/**
 * Writes one subtask's output to one downstream edge: picks the target subtask of every record (the partitioner),
 * buffers per target and sends full buffers as batches. Control events (watermarks, idleness, end of input) flush
 * every buffer first, so a record never overtakes the watermark emitted after it.
 *
 * Credits: each target grants `credits` batches of its batch limit in flight, counted in records: a target is blocked
 * once the records sent to it and not yet consumed reach `credits × limit`. `hasCredit()` is false while any target is
 * blocked, and the subtask is then not scheduled (backpressure). One step may overdraw by the batches it produces.
 * Counting records rather than batches matters for sparse outputs: a filter passing a few records per source batch
 * flushes a small batch after every step and with every watermark, and four such batches must not stall it while
 * they cross to another thread.
 */
export class RecordWriter {
  private readonly buffers: Batch[];
  /** Per target: records sent and not yet reported consumed. */
  private readonly inFlight: number[];
  /** Per target: the most records per batch its receiver wants (it lowers this when it is slow per record). */
  private readonly limits: number[];
  private roundRobin: number;
  private readonly targets: number;
  private readonly route: ((value: unknown) => number) | undefined;
  private blockedTargets = 0;
  /**
   * Records sent per key group, for hash partitioning (the autoscaler reads how load spreads over keys from it: a
   * key group carrying most records bounds what more parallelism can gain).
   */
  readonly keyGroupCounts: Float64Array | undefined;

  constructor(
    readonly edge: number,
    private readonly subtask: number,
    private readonly partitioning: Partitioning,
    targetParallelism: number,
    private readonly maxParallelism: number,
    private readonly batchSize: number,
    private readonly credits: number,
    private readonly transport: ChannelTransport,
    /** The operator this edge feeds, as errors name it: `'name' (uid …)`. */
    private readonly target = 'after a keyBy',
  ) {
    this.targets = targetParallelism;
    this.buffers = Array.from({ length: targetParallelism }, () => ({ values: [], timestamps: [] }));
    this.inFlight = new Array(targetParallelism).fill(0);
    this.limits = new Array(targetParallelism).fill(batchSize);
    this.roundRobin = subtask % targetParallelism;
    this.keyGroupCounts = partitioning.kind === 'hash' ? new Float64Array(maxParallelism) : undefined;
    this.route = this.makeRoute();
  }

  private makeRoute(): ((value: unknown) => number) | undefined {
    const p = this.partitioning;
    const n = this.targets;
    switch (p.kind) {
      case 'forward':
        return () => this.subtask;
      case 'global':
        return () => 0;
      case 'rebalance':
        return () => {
          this.roundRobin = this.roundRobin + 1 === n ? 0 : this.roundRobin + 1;
          return this.roundRobin;
        };
      case 'shuffle':
        return () => Math.floor(Math.random() * n);
      case 'hash': {
        const select = p.keySelector as (v: unknown) => Key;
        const maxP = this.maxParallelism;
        const counts = this.keyGroupCounts!;
        return (v) => {
          const group = keyGroupOf(this.keyOf(select, v), maxP);
          counts[group]!++;
          return subtaskForKeyGroup(group, maxP, n);
        };
      }
      case 'broadcast':
        return undefined;
    }
  }

  /** @throws KeySelectorError naming the target operator and the record when the selector throws or returns no key. */
  private keyOf(select: (v: unknown) => Key, value: unknown): NormalizedKey {
    let key: Key;
    try {
      key = select(value);
    } catch (e) {
      throw new KeySelectorError(this.target, summarizeRecord(value), e, false);
    }
    try {
      return normalizeKey(key);
    } catch (e) {
      throw new KeySelectorError(this.target, summarizeRecord(value), e, true);
    }
  }

  /**
   * About how many more records this writer can take before its targets' credits run out, by their batch limits:
   * senders size their steps by it, so that a slow receiver's small batches do not pile up as many batches at once.
   */
  room(): number {
    const n = this.targets;
    if (this.partitioning.kind === 'forward') return this.roomOf(this.subtask % n);
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    for (let t = 0; t < n; t++) {
      const r = this.roomOf(t);
      sum += r;
      if (r < min) min = r;
    }
    // A broadcast record goes to every target; other records go to one of them.
    return this.route === undefined ? min : sum;
  }

  private roomOf(t: number): number {
    return Math.max(0, this.credits * this.limits[t]! - this.inFlight[t]! - this.buffers[t]!.values.length);
  }

  private isBlocked(t: number): boolean {
    return this.inFlight[t]! >= this.credits * this.limits[t]!;
  }

  hasCredit(): boolean {
    return this.blockedTargets === 0;
  }

  /**
   * Called when the receiver of `to` consumed a batch of `records`; `limit`: the most records it wants per batch from
   * now on.
   */
  addCredit(to: number, records: number, limit: number = this.batchSize): void {
    const wasBlocked = this.isBlocked(to);
    this.inFlight[to]! -= records;
    this.limits[to] = limit;
    const blocked = this.isBlocked(to);
    if (wasBlocked !== blocked) this.blockedTargets += blocked ? 1 : -1;
  }

  write(batch: Batch): void {
    const { values, timestamps } = batch;
    if (this.route === undefined) {
      for (let t = 0; t < this.targets; t++) {
        const b = this.buffers[t]!;
        for (let i = 0; i < values.length; i++) {
          b.values.push(values[i]);
          b.timestamps.push(timestamps[i]!);
        }
        if (b.values.length >= this.limits[t]!) this.sendBuffer(t);
      }
      return;
    }
    const route = this.route;
    const limits = this.limits;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const t = route(v);
      const b = this.buffers[t]!;
      b.values.push(v);
      b.timestamps.push(timestamps[i]!);
      if (b.values.length >= limits[t]!) this.sendBuffer(t);
    }
  }

  private sendBuffer(t: number): void {
    const b = this.buffers[t]!;
    this.buffers[t] = { values: [], timestamps: [] };
    const wasBlocked = this.isBlocked(t);
    this.inFlight[t]! += b.values.length;
    if (!wasBlocked && this.isBlocked(t)) this.blockedTargets++;
    this.transport.send(this.edge, this.subtask, t, { t: 'batch', batch: b });
  }

  flush(): void {
    for (let t = 0; t < this.targets; t++) if (this.buffers[t]!.values.length > 0) this.sendBuffer(t);
  }

  private broadcastControl(
    message:
      | { t: 'wm'; wm: number }
      | { t: 'idle'; idle: boolean }
      | { t: 'end' }
      | { t: 'barrier'; id: number; full: boolean },
  ): void {
    this.flush();
    if (this.partitioning.kind === 'forward') this.transport.send(this.edge, this.subtask, this.subtask, message);
    else for (let t = 0; t < this.targets; t++) this.transport.send(this.edge, this.subtask, t, message);
  }

  emitWatermark(wm: number): void {
    this.broadcastControl({ t: 'wm', wm });
  }
  emitIdle(idle: boolean): void {
    this.broadcastControl({ t: 'idle', idle });
  }
  end(): void {
    this.broadcastControl({ t: 'end' });
  }
  /** Flushes, then sends a checkpoint barrier to every target (barriers need no credit). */
  barrier(id: number, full: boolean): void {
    this.broadcastControl({ t: 'barrier', id, full });
  }
}
