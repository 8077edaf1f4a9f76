import type { JobPlan } from '../plan/job-plan.js';
import { NUM_LATE_RECORDS_DROPPED, type OperatorMetrics } from './operator-metrics.js';

/**
 * One warning line per operator that dropped late records (records only count as dropped when no late-data side
 * output took them), naming the operator, the count and the API call that keeps them.
 */
export function lateDataWarnings(plan: JobPlan, metrics: readonly OperatorMetrics[]): string[] {
  const lines: string[] = [];
  for (const m of metrics) {
    const n = m.counters[NUM_LATE_RECORDS_DROPPED] ?? 0;
    if (n === 0) continue;
    const kind = plan.nodes.find((node) => node.uid === m.uid)?.kind;
    const how =
      kind === 'window'
        ? '.sideOutputLateData(tag) on the windowed stream'
        : kind === 'coProcess'
          ? '.sideOutputLeftLateData(tag) / .sideOutputRightLateData(tag) on the interval join'
          : 'a side output';
    lines.push(
      `warning: operator '${m.name}' dropped ${n} late record${n === 1 ? '' : 's'} (behind the watermark, beyond any allowed lateness); keep them with ${how}`,
    );
  }
  return lines;
}
