import { join } from 'node:path';
import {
  type CheckpointMetadata,
  checkpointDirName,
  INLINE_STATE_BYTES,
  pruneCheckpoints,
  type ReferencedFile,
  type StateFileRef,
  writeMetadata,
} from './checkpoint-storage.js';

/** Checkpointing options of a job. */
export interface CheckpointConfig {
  /** Directory holding the checkpoints. */
  dir: string;
  /** Time between the start of one checkpoint and the next, ms. */
  intervalMs: number;
  /** A checkpoint not complete after this long is abandoned, ms. */
  timeoutMs: number;
  /** Least time between the end of one checkpoint and the start of the next, ms. */
  minPauseMs: number;
  /** Complete checkpoints kept on disk. */
  retain: number;
  /**
   * A subtask's state of at most this many bytes is kept in the checkpoint's metadata instead of a file of its own
   * (0: always a file; default 16 KiB); see checkpoint-storage.ts.
   */
  inlineStateBytes?: number;
}

/** The most `inlineStateBytes` may be (metadata is rewritten whole with every checkpoint). */
export const MAX_INLINE_STATE_BYTES = 1 << 20;

export const DEFAULT_CHECKPOINT_CONFIG: Omit<CheckpointConfig, 'dir'> = {
  intervalMs: 1000,
  timeoutMs: 60_000,
  minPauseMs: 0,
  retain: 2,
  inlineStateBytes: INLINE_STATE_BYTES,
};

/** Figures of one completed checkpoint, for logs and later tooling. */
export interface CheckpointStats {
  id: number;
  final: boolean;
  durationMs: number;
  /** Longest barrier alignment of any subtask, ms. */
  alignmentMs: number;
  /** Bytes of state written. */
  bytes: number;
  subtasks: number;
  /** Epoch ms when the checkpoint was triggered and when it completed. */
  triggeredAt: number;
  completedAt: number;
  /** Bytes of each state file (`s-<vertex>-<subtask>.state`) written for it. */
  files: { name: string; size: number }[];
}

export interface CoordinatorHooks {
  /** Start checkpoint `id` on every executor; `full`: no incremental state (savepoints). */
  trigger(id: number, full: boolean): void;
  /** Checkpoint `id` is durable; `final` ends the job after operators were notified. */
  complete(id: number, final: boolean): void;
  /** Checkpoint `id` timed out and was abandoned: subtasks give up its alignment and pending barrier. */
  abort(id: number): void;
  /** Something failed while completing a checkpoint. */
  fail(error: unknown): void;
  onStats?(stats: CheckpointStats): void;
  /**
   * A count that changes whenever the job takes in input (records read by sources, processing-time timers fired);
   * while it stays as it was when the last completed checkpoint started, checkpoints come at most every
   * {@link IDLE_CHECKPOINT_INTERVAL_MS}. Without it, every interval.
   */
  activity?(): number;
}

interface InFlight {
  /** Resolved with the checkpoint directory when this checkpoint completes (savepoints wait on it). */
  waiters: { resolve(dir: string, id: number): void; reject(e: Error): void }[];
  id: number;
  startedAt: number;
  final: boolean;
  refs: StateFileRef[];
  /** Files of earlier checkpoints that incremental state of this one builds on. */
  references: Map<string, ReferencedFile>;
  alignmentMs: number;
  timer: NodeJS.Timeout;
  /** The job's input count (`CoordinatorHooks.activity`) when this checkpoint started. */
  activity: number | undefined;
}

/**
 * With no new input since the last completed checkpoint, the next one waits this long (or the interval, if longer).
 * An idle Stateful Functions application checkpoints every 20 ms to answer quickly; without this it spent about a
 * third of a core writing checkpoints that held nothing new. Output that comes without new input (event-time timers
 * of a watermark that advanced on idleness, results of asynchronous calls) is still committed, within this time.
 */
export const IDLE_CHECKPOINT_INTERVAL_MS = 1000;

/**
 * Runs on the coordinating thread. Starts numbered checkpoints on a timer (one at a time), counts the subtasks'
 * acknowledgements, and completes a checkpoint by writing its metadata atomically; only then are operators told
 * (and sinks publish their pre-committed output). When every thread has drained its input, one final checkpoint
 * is taken so that the last output is committed too.
 */
export class CheckpointCoordinator {
  private nextId: number;
  private inFlight: InFlight | undefined;
  private lastCompletedAt = 0;
  /** `CoordinatorHooks.activity` when the last completed checkpoint started (undefined: none completed yet). */
  private activityCovered: number | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private drainedThreads = 0;
  private finalCompleted = false;
  private finalRequested = false;
  private stopped = false;
  /** Metadata of the checkpoints this coordinator completed that still exist, by directory (pruning reads it here). */
  private readonly written = new Map<string, CheckpointMetadata>();

  constructor(
    private readonly config: CheckpointConfig,
    private readonly job: { readonly name: string; readonly fingerprint: string },
    private readonly maxParallelism: number,
    private readonly totalSubtasks: number,
    private readonly threads: number,
    firstId: number,
    private readonly hooks: CoordinatorHooks,
  ) {
    this.nextId = firstId;
  }

  start(): void {
    // Ticks much finer than the interval: a checkpoint starts within a tick of being due. (Ticking at the interval
    // itself skipped a tick that fired a few ms early now and then, spacing those checkpoints two intervals apart.)
    const tick = Math.max(10, Math.min(this.config.intervalMs / 10, 100));
    this.ticker = setInterval(() => this.maybeTrigger(), tick);
    this.ticker.unref?.();
  }

  /**
   * Stops triggering and completing checkpoints. Resolves once a completion already under way (its metadata being
   * written) has settled, so that no checkpoint becomes complete after the run that took it has ended: the next
   * owner of the directory (a restart, or another process in cluster mode) sees every checkpoint it will ever get.
   * A checkpoint completed while stopping is not reported to the job (it is ending); its output is committed by the
   * next run's recovery.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    if (this.inFlight !== undefined) clearTimeout(this.inFlight.timer);
    await this.completing;
    // Whoever waits for a checkpoint (a savepoint request) gets an answer instead of waiting for one that never comes.
    const waiters = [...this.queuedWaiters, ...(this.inFlight?.waiters ?? [])];
    this.queuedWaiters = [];
    if (this.inFlight !== undefined) this.inFlight.waiters = [];
    for (const w of waiters) w.reject(new Error('the job stopped before the checkpoint for it was taken'));
  }

  /** The metadata write (and pruning) of the checkpoint being completed, if any. */
  private completing: Promise<void> | undefined;

  private lastStartedAt = 0;

  private maybeTrigger(): void {
    if (this.stopped || this.inFlight !== undefined || this.finalRequested) return;
    if (this.queuedWaiters.length > 0) {
      this.begin(false);
      return;
    }
    const now = Date.now();
    if (now - this.lastStartedAt < this.config.intervalMs) return;
    if (now - this.lastCompletedAt < this.config.minPauseMs) return;
    const idle = this.activityCovered !== undefined && this.hooks.activity?.() === this.activityCovered;
    if (idle && now - this.lastStartedAt < IDLE_CHECKPOINT_INTERVAL_MS) return;
    this.begin(false);
  }

  private begin(final: boolean): void {
    const id = this.nextId++;
    const timer = setTimeout(() => this.abandon(id), this.config.timeoutMs);
    timer.unref?.();
    const waiters = this.queuedWaiters;
    this.queuedWaiters = [];
    this.inFlight = {
      id,
      startedAt: Date.now(),
      final,
      refs: [],
      references: new Map(),
      alignmentMs: 0,
      timer,
      waiters,
      activity: this.hooks.activity?.(),
    };
    this.lastStartedAt = Date.now();
    // A savepoint must stand alone: it is copied elsewhere without the earlier checkpoints.
    this.hooks.trigger(id, waiters.length > 0);
  }

  private queuedWaiters: InFlight['waiters'] = [];

  /** True once the final checkpoint (the job's end) completed. */
  get finished(): boolean {
    return this.finalCompleted;
  }

  /**
   * Resolves with the directory and id of the checkpoint in flight once it is complete, or of a new one taken now
   * when none is in flight. Used to rescale: any complete checkpoint will do, the sooner the better.
   */
  nextComplete(): Promise<{ dir: string; id: number }> {
    const inFlight = this.inFlight;
    if (inFlight === undefined || this.stopped) return this.checkpointNow();
    return new Promise((resolve, reject) => {
      inFlight.waiters.push({ resolve: (dir: string, id: number) => resolve({ dir, id }), reject });
    });
  }

  /**
   * Takes a checkpoint as soon as possible (after the one in flight) and resolves with its directory and id once it
   * is complete. Used for savepoints.
   */
  checkpointNow(): Promise<{ dir: string; id: number }> {
    return new Promise((resolve, reject) => {
      const waiter = { resolve: (dir: string, id: number) => resolve({ dir, id }), reject };
      if (this.stopped || this.finalCompleted) {
        reject(new Error(this.stopped ? 'the job is stopping' : 'the job has finished'));
        return;
      }
      // The final checkpoint holds every subtask's final (self-contained) snapshot: it serves as the savepoint.
      if (this.inFlight?.final === true) this.inFlight.waiters.push(waiter);
      else this.queuedWaiters.push(waiter);
      if (this.inFlight === undefined && !this.finalRequested) this.begin(false);
    });
  }

  private abandon(id: number): void {
    if (this.inFlight?.id !== id) return;
    const final = this.inFlight.final;
    for (const w of this.inFlight.waiters) w.reject(new Error(`checkpoint ${id} did not complete in time`));
    this.inFlight = undefined;
    this.hooks.abort(id);
    process.stderr.write(`warning: checkpoint ${id} did not complete within ${this.config.timeoutMs} ms; abandoned\n`);
    if (final || this.finalRequested) this.begin(true);
  }

  /** A thread has no more input to process. */
  onDrained(): void {
    this.drainedThreads++;
    if (this.drainedThreads === this.threads) {
      this.finalRequested = true;
      if (this.inFlight === undefined) this.begin(true);
    }
  }

  onAck(id: number, ref: StateFileRef, alignmentMs: number, references: readonly ReferencedFile[] = []): void {
    const f = this.inFlight;
    if (f === undefined || f.id !== id) return; // late acknowledgement of an abandoned checkpoint
    if (this.stopped) return; // the run is ending: the checkpoint stays incomplete
    f.refs.push(ref);
    for (const r of references) f.references.set(`${r.checkpointDir}/${r.name}`, r);
    f.alignmentMs = Math.max(f.alignmentMs, alignmentMs);
    if (f.refs.length === this.totalSubtasks) this.complete(f);
  }

  /** The newest complete checkpoint pruning has been asked to keep, and the one the last pruning pass kept. */
  private pruneUpTo = 0;
  private prunedUpTo = 0;
  private pruning: Promise<void> | undefined;

  /**
   * Prunes up to the newest complete checkpoint `newest`, one pass at a time: a pass asked for while one runs is
   * folded into the next pass (with checkpoints every 20 ms, overlapping passes listed the same directories and
   * tried to delete them twice). Resolves once a pass that covers `newest` has ended.
   */
  private prune(newest: number): Promise<void> {
    this.pruneUpTo = Math.max(this.pruneUpTo, newest);
    if (this.pruning === undefined && this.prunedUpTo < this.pruneUpTo) this.pruning = this.prunePasses();
    return this.pruning ?? Promise.resolve();
  }

  private async prunePasses(): Promise<void> {
    try {
      do {
        const upTo = this.pruneUpTo;
        await pruneCheckpoints(this.config.dir, upTo, this.config.retain, this.written);
        this.prunedUpTo = upTo;
      } while (this.prunedUpTo < this.pruneUpTo);
    } finally {
      // In the same synchronous run as the last check above: a later request starts a new pass.
      this.pruning = undefined;
    }
  }

  private complete(f: InFlight): void {
    clearTimeout(f.timer);
    const metadata: CheckpointMetadata = {
      version: 1,
      checkpointId: f.id,
      kind: 'checkpoint',
      createdAt: new Date().toISOString(),
      job: this.job.name,
      jobFingerprint: this.job.fingerprint,
      maxParallelism: this.maxParallelism,
      final: f.final,
      files: f.refs,
      references: [...f.references.values()],
    };
    const dir = join(this.config.dir, checkpointDirName(f.id));
    const completing: Promise<void> = writeMetadata(dir, metadata)
      .then(() => {
        this.inFlight = undefined;
        this.written.set(dir, metadata);
        this.lastCompletedAt = Date.now();
        this.activityCovered = f.activity;
        if (f.final) this.finalCompleted = true;
        if (this.stopped) {
          for (const w of f.waiters) w.reject(new Error('the job stopped before the checkpoint for it was reported'));
          return this.prune(f.id);
        }
        this.hooks.onStats?.({
          id: f.id,
          final: f.final,
          durationMs: this.lastCompletedAt - f.startedAt,
          alignmentMs: Math.round(f.alignmentMs),
          bytes: f.refs.reduce((n, r) => n + r.size, 0),
          subtasks: f.refs.length,
          triggeredAt: f.startedAt,
          completedAt: this.lastCompletedAt,
          files: f.refs.map((r) => ({ name: r.name, size: r.size })),
        });
        this.hooks.complete(f.id, f.final);
        for (const w of f.waiters) w.resolve(dir, f.id);
        if (this.finalRequested && !f.final) this.begin(true);
        else if (this.queuedWaiters.length > 0) this.begin(false);
        return this.prune(f.id);
      })
      .catch((e) => this.hooks.fail(e))
      .finally(() => {
        if (this.completing === completing) this.completing = undefined;
      });
    this.completing = completing;
  }
}
