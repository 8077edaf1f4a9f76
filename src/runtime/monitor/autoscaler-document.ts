import type { ScalingDecision } from '../autoscaler/autoscaler.js';
import type { JobMonitor } from './job-monitor.js';

/**
 * `GET /jobs/:jid/autoscaler` (Sluice's): whether the job is autoscaled, how often it was rescaled, and its recent
 * decisions, newest first, each with its inputs per vertex (observed and target rate, true processing rate per
 * subtask, busy share, the utilisation the target needs) and the reason in words.
 */
export function autoscalerDocument(m: JobMonitor): Record<string, unknown> {
  const decisions = [...m.scalingDecisions].reverse();
  return {
    enabled: m.config.autoscale === true || decisions.length > 0,
    rescales: m.rescales,
    decisions: decisions.map(decisionDocument),
  };
}

function decisionDocument(d: ScalingDecision): Record<string, unknown> {
  return {
    number: d.number,
    time: d.time,
    policy: d.policy,
    'window-ms': d.windowMs,
    action: d.action,
    summary: d.summary,
    bottleneck: d.bottleneck === undefined ? null : { ...d.bottleneck, vertex: String(d.bottleneck.vertex) },
    'cpu-cores': round(d.cpuCores, 2),
    cores: d.cores,
    vertices: d.vertices.map((v) => ({
      id: String(v.id),
      name: v.name,
      parallelism: v.current,
      'proposed-parallelism': v.proposed,
      'observed-rate': round(v.observedRate, 1),
      'target-rate': round(v.targetRate, 1),
      'true-processing-rate': v.trueRate === undefined ? null : round(v.trueRate, 1),
      busy: round(v.busy, 3),
      'needed-utilization': v.neededUtilization === undefined ? null : round(v.neededUtilization, 3),
      reason: v.reason,
    })),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The parallelism the latest decision recommends per vertex name (for the Prometheus gauge). */
export function recommendedParallelism(m: JobMonitor): { name: string; parallelism: number }[] {
  const last = m.scalingDecisions[m.scalingDecisions.length - 1];
  return last === undefined ? [] : last.vertices.map((v) => ({ name: v.name, parallelism: v.proposed }));
}
