import type { Source, SourceOutput, SourceReader, SourceReaderContext } from '../../core/source.js';

export interface GeneratorOptions {
  /** Number of records; omit for an unbounded source. */
  count?: number;
  /** Records per second over all subtasks; omit for as fast as possible. */
  ratePerSecond?: number;
  /** Parallelism cap, e.g. 1 for a generator that must be sequential. */
  maxParallelism?: number;
  name?: string;
}

/**
 * Generates record `generate(i)` for sequence numbers i = 0, 1, 2, … (up to `count`). Subtask s of p produces the
 * numbers with i % p === s, so the union over subtasks is every number exactly once at any parallelism. The next
 * sequence number is the checkpointed state. With a rate limit, each subtask produces its share of the rate.
 */
export class GeneratorSource<T> implements Source<T> {
  readonly boundedness: 'bounded' | 'unbounded';
  readonly maxParallelism: number | undefined;
  readonly name: string;
  constructor(
    private readonly generate: (index: number) => T,
    private readonly options: GeneratorOptions = {},
  ) {
    this.boundedness = options.count === undefined ? 'unbounded' : 'bounded';
    this.maxParallelism = options.maxParallelism;
    this.name = options.name ?? 'generator';
  }

  createReader(ctx: SourceReaderContext): SourceReader<T> {
    const { count = Number.POSITIVE_INFINITY, ratePerSecond } = this.options;
    const generate = this.generate;
    const p = ctx.parallelism;
    let next = ctx.subtaskIndex;
    const ratePerSubtask = ratePerSecond === undefined ? undefined : ratePerSecond / p;
    let started = 0;
    let emitted = 0;
    let wakeAt = 0;
    /** After a restore at another parallelism: numbers below `gapsEnd` may have been produced already. */
    let restoredGaps: ((i: number) => boolean) | undefined;
    let gapsEnd = 0;
    return {
      open() {
        started = Date.now();
      },
      pollNext(out: SourceOutput<T>, max: number) {
        let budget = max;
        if (ratePerSubtask !== undefined) {
          const allowed = Math.floor(((Date.now() - started) / 1000) * ratePerSubtask) - emitted;
          if (allowed <= 0) {
            wakeAt = started + ((emitted + 1) / ratePerSubtask) * 1000;
            return 'wait';
          }
          budget = Math.min(budget, allowed);
        }
        let i = next;
        if (restoredGaps !== undefined) {
          for (let k = 0; k < budget && i < count; i += p) {
            if (restoredGaps !== undefined) {
              if (i >= gapsEnd) restoredGaps = undefined;
              else if (restoredGaps(i)) continue;
            }
            out.collect(generate(i));
            k++;
            emitted++;
          }
          next = i;
          return next < count ? 'more' : 'end';
        }
        for (let k = 0; k < budget && i < count; k++, i += p) out.collect(generate(i));
        emitted += (i - next) / p;
        next = i;
        return next < count ? 'more' : 'end';
      },
      backlog() {
        if (ratePerSubtask === undefined) return undefined;
        const scheduled = Math.floor(((Date.now() - started) / 1000) * ratePerSubtask);
        return Math.max(0, Math.min(scheduled, count) - emitted);
      },
      available() {
        return new Promise((resolve) => setTimeout(resolve, Math.max(1, wakeAt - Date.now())));
      },
      snapshotState: () => ({ next, subtask: ctx.subtaskIndex, parallelism: p }),
      restoreState: (states) => {
        // Previous reader s of p' produced s, s + p', … up to (excluding) its `next`. This reader resumes at the
        // first of its own numbers that no previous reader produced.
        const previous = states as { next: number; subtask: number; parallelism: number }[];
        const produced = (i: number) => {
          for (const s of previous) if (i % s.parallelism === s.subtask) return i < s.next;
          return false;
        };
        let i = ctx.subtaskIndex;
        while (i < count && produced(i)) i += p;
        next = i;
        gapsEnd = Math.max(0, ...previous.map((s) => s.next));
        restoredGaps = previous.length > 0 && previous[0]!.parallelism !== p ? produced : undefined;
      },
    };
  }
}
