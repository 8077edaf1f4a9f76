/**
 * The in-memory end of the feedback channel on one subtask, with Chandy–Lamport channel recording.
 *
 * Records sent by dispatcher subtasks to instances this subtask owns arrive here through the feedback sink (the
 * *tail*, after an ordinary hash exchange) and are taken by the ingress source (the *head*), which emits them into
 * the dispatcher again. Tail and head run on the same thread, so this hop carries no checkpoint barriers and
 * alignment never waits on it (a cycle of aligned channels would deadlock). Instead, for checkpoint *n*:
 *
 * - the head marks the log when it emits barrier *n* ({@link markHead}): everything it takes after that point is
 *   processed by the dispatcher after its barrier *n*, so its effects are not in snapshot *n*;
 * - the tail, once aligned on barrier *n* (every dispatcher sent everything it sent before its own barrier *n*),
 *   records every record from the head's mark up to now ({@link recordTail}): records still queued at the mark and
 *   records that arrived since. Those are exactly the records in flight on the loop for checkpoint *n*; they go into
 *   the tail's snapshot and are pushed again on restore.
 *
 * Records before the oldest open mark are dropped once taken; the log keeps only what an open checkpoint may record.
 */
export class FeedbackLog<T> {
  private items: T[] = [];
  /** Sequence number of `items[0]`. */
  private base = 0;
  /** Sequence number of the next record to take. */
  private next = 0;
  /** Checkpoint id → sequence number of the next record to take when the head snapshotted it. */
  private readonly marks = new Map<number, number>();

  /** Records pushed and not yet taken. */
  get size(): number {
    return this.base + this.items.length - this.next;
  }

  push(record: T): void {
    this.items.push(record);
  }

  /** The next record, or undefined when none is waiting. */
  take(): T | undefined {
    const i = this.next - this.base;
    if (i >= this.items.length) return undefined;
    this.next++;
    const r = this.items[i]!;
    if (this.marks.size === 0) this.trim(this.next);
    return r;
  }

  /** The head snapshots checkpoint `id` (before emitting its barrier). */
  markHead(id: number): void {
    this.marks.set(id, this.next);
  }

  /**
   * The tail snapshots checkpoint `id` (aligned on its barrier): the records in flight on the loop for it. Marks of
   * `id` and older checkpoints are closed.
   *
   * @throws Error when the head never marked `id`: the head snapshots every checkpoint before any of its barriers
   *   can reach the tail, so this means records could be missing from the checkpoint.
   */
  recordTail(id: number): T[] {
    const from = this.marks.get(id);
    if (from === undefined) {
      throw new Error(
        `statefun feedback: checkpoint ${id} reached the feedback sink before the ingress snapshotted it`,
      );
    }
    const recorded = this.items.slice(from - this.base);
    for (const k of this.marks.keys()) if (k <= id) this.marks.delete(k);
    let keep = this.next;
    for (const m of this.marks.values()) keep = Math.min(keep, m);
    this.trim(keep);
    return recorded;
  }

  /** Drops records before sequence number `keep`. */
  private trim(keep: number): void {
    const drop = keep - this.base;
    if (drop <= 0) return;
    if (drop >= this.items.length) this.items.length = 0;
    else if (drop < 1024 && drop * 2 < this.items.length)
      return; // amortise: shift in large steps only
    else this.items.splice(0, drop);
    this.base = keep;
  }
}
