import type { RestartStrategyConfig } from '../plan/restart-strategy.js';

/**
 * The decisions of one restart strategy over a run. The job runner calls {@link onFailure} once per failure of the
 * running job, in time order; it answers how long to wait before restarting, or undefined when the strategy gives up
 * (the job then fails with that failure).
 */
export interface RestartBackoff {
  onFailure(now: number): number | undefined;
  /** The strategy in words, for the message when it gives up. */
  readonly description: string;
}

/** The backoff of `config`; `random` (in [0, 1)) draws the jitter of the exponential delay. */
export function createRestartBackoff(
  config: RestartStrategyConfig,
  random: () => number = Math.random,
): RestartBackoff {
  switch (config.type) {
    case 'none':
      return { description: 'restart strategy none', onFailure: () => undefined };
    case 'fixed-delay': {
      let restarts = 0;
      return {
        description: `restart strategy fixed-delay (${config.attempts} attempts)`,
        onFailure: () => (restarts++ < config.attempts ? config.delayMs : undefined),
      };
    }
    case 'failure-rate': {
      const failures: number[] = [];
      return {
        description: `restart strategy failure-rate (${config.maxFailuresPerInterval} failures per ${config.failureRateIntervalMs} ms)`,
        onFailure(now) {
          failures.push(now);
          while (failures.length > 0 && failures[0]! <= now - config.failureRateIntervalMs) failures.shift();
          return failures.length > config.maxFailuresPerInterval ? undefined : config.delayMs;
        },
      };
    }
    case 'exponential-delay': {
      let backoff: number | undefined;
      let attempts = 0;
      let lastFailure: number | undefined;
      return {
        description: `restart strategy exponential-delay (${config.attemptsBeforeResetBackoff} attempts before reset)`,
        onFailure(now) {
          // A job that ran long enough without failing starts over with the initial delay, as in Flink.
          if (lastFailure !== undefined && now - lastFailure >= config.resetBackoffThresholdMs) {
            backoff = undefined;
            attempts = 0;
          }
          lastFailure = now;
          if (++attempts > config.attemptsBeforeResetBackoff) return undefined;
          backoff =
            backoff === undefined
              ? Math.min(config.initialBackoffMs, config.maxBackoffMs)
              : Math.min(backoff * config.backoffMultiplier, config.maxBackoffMs);
          const jitter = backoff * config.jitterFactor * (2 * random() - 1);
          return Math.max(0, Math.round(backoff + jitter));
        },
      };
    }
  }
}
