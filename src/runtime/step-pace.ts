/**
 * How many records one step of a subtask may take in at once so that the step lasts about `budgetMs`, learned from
 * the measured time per record of the subtask's chain. A chain that takes microseconds per record always gets whole
 * batches; one that takes milliseconds (a slow user function) gets slices, so that its thread still samples metrics,
 * takes checkpoints, fires timers and serves the other subtasks it runs every few tens of milliseconds instead of
 * once per batch (1,024 records at 4 ms each would hold the thread for 4 s).
 */
/** How long the records in flight to a subtask should take it to process (Flink's debloating target is 1 s). */
const IN_FLIGHT_MS = 1000;

export class StepPace {
  private msPerRecord = 0;

  constructor(private readonly budgetMs = 20) {}

  /** Records to take of `available` (at least 1). */
  slice(available: number): number {
    if (this.msPerRecord * available <= this.budgetMs) return available;
    return Math.max(1, Math.floor(this.budgetMs / this.msPerRecord));
  }

  /** `records` took `ms` to process (one clock pair per batch or slice, never per record). */
  record(records: number, ms: number): void {
    if (records <= 0) return;
    const now = ms / records;
    // A moving average: one slow batch (a GC pause) slices the next few a little, not for long.
    this.msPerRecord = this.msPerRecord === 0 ? now : (this.msPerRecord + now) / 2;
  }

  /**
   * The most records a sender should put in one batch for this subtask, so that everything its senders may have in
   * flight to it (`channels` × `credits` batches) takes about `inFlightMs` to process: Flink's buffer debloating,
   * by record count. `batchSize` while the chain is fast, so fast jobs keep whole batches.
   */
  batchLimit(channels: number, credits: number, batchSize: number, inFlightMs = IN_FLIGHT_MS): number {
    if (this.msPerRecord === 0) return batchSize;
    const records = Math.floor(inFlightMs / (this.msPerRecord * channels * credits));
    return Math.max(1, Math.min(batchSize, records));
  }

  /** True when the time since `startedAt` (performance.now()) used up the step's budget. */
  spent(startedAt: number): boolean {
    return performance.now() - startedAt > this.budgetMs;
  }
}
