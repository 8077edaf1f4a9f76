import { type Command, InvalidArgumentError } from 'commander';
import { PlanError } from '../core/errors.js';
import {
  EXPONENTIAL_DELAY_DEFAULTS,
  FAILURE_RATE_DEFAULTS,
  FIXED_DELAY_DEFAULTS,
  RESTART_STRATEGY_TYPES,
  type RestartStrategyConfig,
  type RestartStrategyType,
  validateRestartStrategy,
} from '../plan/restart-strategy.js';

type Family = Exclude<RestartStrategyType, 'none'>;

/** One `--restart-strategy-<type>-<option>` flag: Flink's `restart-strategy.<type>.<option>` key in kebab-case. */
interface RestartFlag {
  family: Family;
  option: string;
  /** The field of the strategy's configuration it sets. */
  field: string;
  kind: 'count' | 'ms' | 'number';
  help: string;
}

const FLAGS: readonly RestartFlag[] = [
  {
    family: 'fixed-delay',
    option: 'attempts',
    field: 'attempts',
    kind: 'count',
    help: 'restarts before the job fails',
  },
  { family: 'fixed-delay', option: 'delay', field: 'delayMs', kind: 'ms', help: 'wait before each restart' },
  {
    family: 'exponential-delay',
    option: 'initial-backoff',
    field: 'initialBackoffMs',
    kind: 'ms',
    help: 'wait before the first restart',
  },
  { family: 'exponential-delay', option: 'max-backoff', field: 'maxBackoffMs', kind: 'ms', help: 'longest wait' },
  {
    family: 'exponential-delay',
    option: 'backoff-multiplier',
    field: 'backoffMultiplier',
    kind: 'number',
    help: 'growth of the wait per failure',
  },
  {
    family: 'exponential-delay',
    option: 'reset-backoff-threshold',
    field: 'resetBackoffThresholdMs',
    kind: 'ms',
    help: 'running this long without failure starts the wait over',
  },
  {
    family: 'exponential-delay',
    option: 'jitter-factor',
    field: 'jitterFactor',
    kind: 'number',
    help: 'random share of the wait (0-1)',
  },
  {
    family: 'exponential-delay',
    option: 'attempts-before-reset-backoff',
    field: 'attemptsBeforeResetBackoff',
    kind: 'count',
    help: 'restarts in a row before the job fails',
  },
  {
    family: 'failure-rate',
    option: 'max-failures-per-interval',
    field: 'maxFailuresPerInterval',
    kind: 'count',
    help: 'failures within the interval before the job fails',
  },
  {
    family: 'failure-rate',
    option: 'failure-rate-interval',
    field: 'failureRateIntervalMs',
    kind: 'ms',
    help: 'the interval failures are counted over',
  },
  { family: 'failure-rate', option: 'delay', field: 'delayMs', kind: 'ms', help: 'wait before each restart' },
];

const DEFAULTS: Record<Family, object> = {
  'fixed-delay': FIXED_DELAY_DEFAULTS,
  'exponential-delay': EXPONENTIAL_DELAY_DEFAULTS,
  'failure-rate': FAILURE_RATE_DEFAULTS,
};

const flagName = (f: RestartFlag) => `restart-strategy-${f.family}-${f.option}`;
/** The property commander stores a flag under (camelCase of its name). */
const propertyOf = (name: string) => name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

function parseValue(kind: RestartFlag['kind']): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (kind === 'number' ? !Number.isFinite(n) : !Number.isInteger(n) || n < 0) {
      throw new InvalidArgumentError(kind === 'number' ? 'expected a number' : 'expected an integer >= 0');
    }
    return n;
  };
}

/** Adds `--restart-strategy TYPE` and the options of every strategy to `sluice run`. */
export function addRestartOptions(command: Command): Command {
  command.option(
    '--restart-strategy <type>',
    `on failure: ${RESTART_STRATEGY_TYPES.join(', ')} (default: exponential-delay with --checkpoint-dir, else none)`,
    (v) => {
      if (!(RESTART_STRATEGY_TYPES as readonly string[]).includes(v)) {
        throw new InvalidArgumentError(`expected one of ${RESTART_STRATEGY_TYPES.join(', ')}`);
      }
      return v;
    },
  );
  for (const f of FLAGS) {
    const unit = f.kind === 'ms' ? '<ms>' : f.kind === 'count' ? '<n>' : '<x>';
    command.option(`--${flagName(f)} ${unit}`, `${f.family}: ${f.help}`, parseValue(f.kind));
  }
  return command;
}

/**
 * The restart strategy given on the command line, or undefined when none was.
 *
 * @throws Error naming the flag when an option belongs to another strategy than `--restart-strategy` names (or
 *   comes without it), or when a value is out of range.
 */
export function restartStrategyFromOptions(opts: Record<string, unknown>): RestartStrategyConfig | undefined {
  const type = opts.restartStrategy as RestartStrategyType | undefined;
  const values: Record<string, number> = {};
  for (const f of FLAGS) {
    const v = opts[propertyOf(flagName(f))] as number | undefined;
    if (v === undefined) continue;
    if (f.family !== type) {
      throw new Error(`--${flagName(f)} needs --restart-strategy ${f.family}`);
    }
    values[f.field] = v;
  }
  if (type === undefined) return undefined;
  if (type === 'none') return { type };
  try {
    return validateRestartStrategy({ type, ...DEFAULTS[type], ...values } as RestartStrategyConfig);
  } catch (e) {
    // Name the flag the user typed rather than the configuration key.
    if (!(e instanceof PlanError)) throw e;
    throw new Error(e.message.replace(/^restart-strategy\.([a-z-]+)\.([a-z-]+)/, '--restart-strategy-$1-$2'));
  }
}
