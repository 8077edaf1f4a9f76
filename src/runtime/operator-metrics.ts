import type { Counter, MetricGroup } from '../functions/context.js';

/** Records an operator dropped because they were late (behind the watermark beyond the allowed lateness). */
export const NUM_LATE_RECORDS_DROPPED = 'numLateRecordsDropped';

/** The counters of one operator, summed over its subtasks (and over the attempts of a run). */
export interface OperatorMetrics {
  /** The operator's uid (its identity in checkpoints). */
  readonly uid: string;
  readonly name: string;
  readonly counters: Record<string, number>;
}

/** The counters of one operator subtask, created on first use. */
export class OperatorMetricGroup implements MetricGroup {
  private readonly counters = new Map<string, Counter>();
  constructor(
    readonly uid: string,
    readonly name: string,
  ) {}

  counter(name: string): Counter {
    let c = this.counters.get(name);
    if (c === undefined) {
      let count = 0;
      c = {
        inc: (n = 1) => {
          count += n;
        },
        getCount: () => count,
      };
      this.counters.set(name, c);
    }
    return c;
  }

  /** The count of counter `name`, 0 when it was never created (read by the metric sampler). */
  count(name: string): number {
    return this.counters.get(name)?.getCount() ?? 0;
  }

  report(): OperatorMetrics {
    const counters: Record<string, number> = {};
    for (const [name, c] of this.counters) counters[name] = c.getCount();
    return { uid: this.uid, name: this.name, counters };
  }
}

/** Adds `reports` into `into` (summing counters of the same operator); keeps first-seen operator order. */
export function addMetrics(into: OperatorMetrics[], reports: readonly OperatorMetrics[]): void {
  for (const r of reports) {
    const existing = into.find((m) => m.uid === r.uid);
    if (existing === undefined) {
      into.push({ uid: r.uid, name: r.name, counters: { ...r.counters } });
      continue;
    }
    const counters = existing.counters as Record<string, number>;
    for (const [name, n] of Object.entries(r.counters)) counters[name] = (counters[name] ?? 0) + n;
  }
}
