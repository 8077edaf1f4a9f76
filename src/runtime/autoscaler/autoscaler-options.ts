import { availableParallelism } from 'node:os';

/**
 * How the autoscaler decides, with the knobs of Flink's autoscaler (its names in brackets) and defaults for one
 * machine: Flink's defaults (a 15-minute metrics window, 5-minute stabilisation) are for clusters whose rescaling
 * takes minutes; rescaling a Sluice job in its process takes about a second.
 */
export interface AutoscalerOptions {
  /** 'ds2' (default): size every vertex in one step from true processing rates. 'threshold': +1 when busy > 80 %. */
  readonly policy: 'ds2' | 'threshold';
  /** Share of a subtask's time it should be busy at the target rate [job.autoscaler.target.utilization]. 0.7. */
  readonly targetUtilization: number;
  /**
   * No rescale while the utilisation the target rate needs stays within target ± boundary
   * [job.autoscaler.target.utilization.boundary]. 0.3: scale up only when a vertex cannot keep up, down when it
   * would be below 40 % busy.
   */
  readonly utilizationBoundary: number;
  /** Rates are measured over this window, and a decision taken once per window [job.autoscaler.metrics.window]. */
  readonly metricsWindowMs: number;
  /** No metrics are taken this long after every (re)start [job.autoscaler.stabilization.interval]. */
  readonly stabilizationMs: number;
  /** A source's backlog should be read within this time on top of its input rate [job.autoscaler.catch-up.duration]. */
  readonly catchUpDurationMs: number;
  /** A vertex's parallelism falls by at most this share in one decision [job.autoscaler.scale-down.max-factor]. */
  readonly maxScaleDownFactor: number;
  /** Bounds of every vertex's parallelism [job.autoscaler.vertex.min-parallelism / max-parallelism]. */
  readonly minParallelism: number;
  readonly maxParallelism: number;
}

/** The defaults: see {@link AutoscalerOptions}. `maxParallelism` is twice the cores, at least 8. */
export function defaultAutoscalerOptions(): AutoscalerOptions {
  return {
    policy: 'ds2',
    targetUtilization: 0.7,
    utilizationBoundary: 0.3,
    metricsWindowMs: 5_000,
    stabilizationMs: 3_000,
    catchUpDurationMs: 30_000,
    maxScaleDownFactor: 0.6,
    minParallelism: 1,
    maxParallelism: Math.max(8, 2 * availableParallelism()),
  };
}

/**
 * The defaults with `given` on top, checked.
 * @throws RangeError naming the option whose value makes no sense.
 */
export function autoscalerOptions(given: Partial<AutoscalerOptions> = {}): AutoscalerOptions {
  const o = { ...defaultAutoscalerOptions(), ...given };
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new RangeError(`autoscaler: ${what}`);
  };
  check(o.policy === 'ds2' || o.policy === 'threshold', `policy must be 'ds2' or 'threshold', got ${o.policy}`);
  check(o.targetUtilization > 0 && o.targetUtilization <= 1, 'target utilisation must be in (0, 1]');
  check(o.utilizationBoundary >= 0 && o.utilizationBoundary < 1, 'utilisation boundary must be in [0, 1)');
  check(o.metricsWindowMs >= 1000, 'the metrics window must be at least 1 s (metrics are sampled once a second)');
  check(o.stabilizationMs >= 0 && o.catchUpDurationMs > 0, 'stabilisation and catch-up durations must be positive');
  check(o.maxScaleDownFactor >= 0 && o.maxScaleDownFactor <= 1, 'the maximum scale-down factor must be in [0, 1]');
  check(
    Number.isInteger(o.minParallelism) && Number.isInteger(o.maxParallelism) && o.minParallelism >= 1,
    'minimum and maximum parallelism must be whole numbers, at least 1',
  );
  check(o.minParallelism <= o.maxParallelism, 'the minimum parallelism exceeds the maximum');
  return o;
}
