/**
 * The engine options of `sluice run` a submission may carry, by their long names in camelCase, with the JSON
 * Schema that validates each value. One table serves the request schema of `POST /jobs`, the OpenAPI document and
 * the command line of the job's child process (`--max-parallelism 8` for `maxParallelism: 8`).
 * Cluster-mode options and display options (`--progress`, `--verbose`) are not offered: the service decides those.
 * `test/serve-options.test.ts` checks every name against `sluice run --help`.
 */

const positive = { type: 'integer', minimum: 1 } as const;
const nonNegative = { type: 'integer', minimum: 0 } as const;
const number = { type: 'number' } as const;
const path = { type: 'string', minLength: 1 } as const;
const flag = { type: 'boolean' } as const;

/** camelCase option → JSON Schema of its value. Booleans become a bare flag when true and are left out when false. */
export const ENGINE_OPTIONS = {
  parallelism: positive,
  maxParallelism: positive,
  mode: { type: 'string', enum: ['streaming', 'batch'] },
  batchSize: positive,
  stateBackend: { type: 'string', enum: ['heap', 'disk'] },
  stateDir: path,
  checkpointDir: path,
  checkpointInterval: positive,
  checkpointTimeout: positive,
  minPause: nonNegative,
  retainedCheckpoints: positive,
  checkpointInlineBytes: nonNegative,
  fresh: flag,
  autoscale: flag,
  autoscalePolicy: { type: 'string', enum: ['ds2', 'threshold'] },
  autoscaleWindow: positive,
  autoscaleStabilization: nonNegative,
  autoscaleCatchUp: positive,
  autoscaleTargetUtilization: { type: 'number', minimum: 0, maximum: 1 },
  autoscaleUtilizationBoundary: { type: 'number', minimum: 0, maximum: 1 },
  autoscaleMinParallelism: positive,
  autoscaleMaxParallelism: positive,
  autoscaleMaxScaleDown: { type: 'number', minimum: 0, maximum: 1 },
  fromSavepoint: path,
  allowNonRestoredState: flag,
  restartStrategy: { type: 'string', enum: ['none', 'fixed-delay', 'exponential-delay', 'failure-rate'] },
  restartStrategyFixedDelayAttempts: nonNegative,
  restartStrategyFixedDelayDelay: nonNegative,
  restartStrategyExponentialDelayInitialBackoff: nonNegative,
  restartStrategyExponentialDelayMaxBackoff: nonNegative,
  restartStrategyExponentialDelayBackoffMultiplier: number,
  restartStrategyExponentialDelayResetBackoffThreshold: nonNegative,
  restartStrategyExponentialDelayJitterFactor: number,
  restartStrategyExponentialDelayAttemptsBeforeResetBackoff: nonNegative,
  restartStrategyFailureRateMaxFailuresPerInterval: nonNegative,
  restartStrategyFailureRateFailureRateInterval: nonNegative,
  restartStrategyFailureRateDelay: nonNegative,
} as const satisfies Record<string, Record<string, unknown>>;

/** An engine option's name. */
export type EngineOption = keyof typeof ENGINE_OPTIONS;

/** Options naming a path on the service's machine (resolved against the service's directory, checked against its rules). */
export const PATH_OPTIONS: readonly EngineOption[] = ['stateDir', 'checkpointDir', 'fromSavepoint'];

/** `maxParallelism` → `--max-parallelism`. */
export function flagOf(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The command-line words of the engine options in `request` (other keys are ignored), in table order:
 * `{parallelism: 2, fresh: true}` → `['--parallelism', '2', '--fresh']`.
 */
export function engineArgv(request: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const option of Object.keys(ENGINE_OPTIONS)) {
    const value = request[option];
    if (value === undefined || value === false) continue;
    out.push(flagOf(option));
    if (value !== true) out.push(String(value));
  }
  return out;
}
