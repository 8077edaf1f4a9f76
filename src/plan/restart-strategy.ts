import { PlanError } from '../core/errors.js';

/**
 * What the runtime does when the job fails while running (a user function throws, a sink cannot write): the
 * strategies of Flink, with the names of its `restart-strategy.*` options. A restart runs the whole job again in the
 * same process, from the latest completed checkpoint (from the start, or the savepoint it started from, when there
 * is none). Durations are milliseconds.
 */
export type RestartStrategyConfig =
  | { readonly type: 'none' }
  | FixedDelayRestart
  | ExponentialDelayRestart
  | FailureRateRestart;

/** Restart up to `attempts` times, waiting `delayMs` before each restart. */
export interface FixedDelayRestart {
  readonly type: 'fixed-delay';
  readonly attempts: number;
  readonly delayMs: number;
}

/**
 * Restart with a delay growing from `initialBackoffMs` by `backoffMultiplier` per failure up to `maxBackoffMs`,
 * randomised by ± `jitterFactor` of itself. After `resetBackoffThresholdMs` without a failure the delay (and the
 * attempt count) starts over; the job fails once more than `attemptsBeforeResetBackoff` restarts happened in a row.
 */
export interface ExponentialDelayRestart {
  readonly type: 'exponential-delay';
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
  readonly resetBackoffThresholdMs: number;
  readonly jitterFactor: number;
  readonly attemptsBeforeResetBackoff: number;
}

/** Restart after `delayMs` unless more than `maxFailuresPerInterval` failures fell within the last `failureRateIntervalMs`. */
export interface FailureRateRestart {
  readonly type: 'failure-rate';
  readonly maxFailuresPerInterval: number;
  readonly failureRateIntervalMs: number;
  readonly delayMs: number;
}

export type RestartStrategyType = RestartStrategyConfig['type'];

export const RESTART_STRATEGY_TYPES: readonly RestartStrategyType[] = [
  'none',
  'fixed-delay',
  'exponential-delay',
  'failure-rate',
];

/** Flink's defaults of `restart-strategy.exponential-delay.*`. */
export const EXPONENTIAL_DELAY_DEFAULTS: Omit<ExponentialDelayRestart, 'type'> = {
  initialBackoffMs: 1000,
  maxBackoffMs: 60_000,
  backoffMultiplier: 1.5,
  resetBackoffThresholdMs: 3_600_000,
  jitterFactor: 0.1,
  attemptsBeforeResetBackoff: Number.POSITIVE_INFINITY,
};

/** Flink's defaults of `restart-strategy.fixed-delay.*` and `restart-strategy.failure-rate.*`. */
export const FIXED_DELAY_DEFAULTS: Omit<FixedDelayRestart, 'type'> = { attempts: 1, delayMs: 1000 };
export const FAILURE_RATE_DEFAULTS: Omit<FailureRateRestart, 'type'> = {
  maxFailuresPerInterval: 1,
  failureRateIntervalMs: 60_000,
  delayMs: 1000,
};

/** Builders of restart strategies for `env.setRestartStrategy(...)`. */
export const RestartStrategies = {
  /** A failure fails the job. The default without checkpointing. */
  none(): RestartStrategyConfig {
    return { type: 'none' };
  },
  fixedDelay(attempts: number, delayMs: number): RestartStrategyConfig {
    return validateRestartStrategy({ type: 'fixed-delay', attempts, delayMs });
  },
  /** The default with checkpointing (with Flink's default values). */
  exponentialDelay(options: Partial<Omit<ExponentialDelayRestart, 'type'>> = {}): RestartStrategyConfig {
    return validateRestartStrategy({ type: 'exponential-delay', ...EXPONENTIAL_DELAY_DEFAULTS, ...options });
  },
  failureRate(maxFailuresPerInterval: number, failureRateIntervalMs: number, delayMs: number): RestartStrategyConfig {
    return validateRestartStrategy({ type: 'failure-rate', maxFailuresPerInterval, failureRateIntervalMs, delayMs });
  },
};

/**
 * The strategy of a run: the configured one, else Flink's rule — exponential delay when the job checkpoints, no
 * restart when it does not (it would start from the beginning).
 */
export function effectiveRestartStrategy(
  configured: RestartStrategyConfig | undefined,
  checkpointing: boolean,
): RestartStrategyConfig {
  if (configured !== undefined) return configured;
  return checkpointing ? { type: 'exponential-delay', ...EXPONENTIAL_DELAY_DEFAULTS } : { type: 'none' };
}

/**
 * Checks the values of a strategy; returns it unchanged.
 *
 * @throws PlanError naming the option (as `restart-strategy.<type>.<option>`) and the bad value.
 */
export function validateRestartStrategy(c: RestartStrategyConfig): RestartStrategyConfig {
  const check = (ok: boolean, option: string, value: number, expected: string) => {
    if (!ok) throw new PlanError(`restart-strategy.${c.type}.${option} must be ${expected}, got ${value}`);
  };
  const count = (option: string, v: number, min: number) =>
    check((Number.isInteger(v) && v >= min) || v === Number.POSITIVE_INFINITY, option, v, `an integer >= ${min}`);
  const duration = (option: string, v: number) => check(Number.isFinite(v) && v >= 0, option, v, 'a duration >= 0 ms');
  switch (c.type) {
    case 'none':
      break;
    case 'fixed-delay':
      count('attempts', c.attempts, 0);
      duration('delay', c.delayMs);
      break;
    case 'exponential-delay':
      duration('initial-backoff', c.initialBackoffMs);
      duration('max-backoff', c.maxBackoffMs);
      check(c.backoffMultiplier >= 1, 'backoff-multiplier', c.backoffMultiplier, '>= 1');
      duration('reset-backoff-threshold', c.resetBackoffThresholdMs);
      check(c.jitterFactor >= 0 && c.jitterFactor <= 1, 'jitter-factor', c.jitterFactor, 'between 0 and 1');
      count('attempts-before-reset-backoff', c.attemptsBeforeResetBackoff, 1);
      break;
    case 'failure-rate':
      count('max-failures-per-interval', c.maxFailuresPerInterval, 1);
      duration('failure-rate-interval', c.failureRateIntervalMs);
      duration('delay', c.delayMs);
      break;
    default:
      throw new PlanError(
        `unknown restart strategy '${(c as { type: unknown }).type}' (expected ${RESTART_STRATEGY_TYPES.join(', ')})`,
      );
  }
  return c;
}
