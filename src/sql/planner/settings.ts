import { checkTimeZone } from './local-time-zone.js';

/**
 * SET / RESET keys the planner reads, and their parsing. Unknown keys are recorded as they are (Flink accepts any
 * configuration key in SET); the values of known keys are validated at SET time.
 */
export const KNOWN_SETTINGS = {
  'table.exec.state.ttl': '0 ms',
  'parallelism.default': '',
  'execution.runtime-mode': 'streaming',
  'table.local-time-zone': 'UTC',
} as const;

const UNITS: [RegExp, number][] = [
  [/^(ms|milli|millis|millisecond|milliseconds)$/, 1],
  [/^(s|sec|secs|second|seconds)$/, 1000],
  [/^(min|m|minute|minutes)$/, 60000],
  [/^(h|hour|hours)$/, 3600000],
  [/^(d|day|days)$/, 86400000],
];

/** A Flink duration ('1 h', '3600000 ms', '10 s', '3600000' = ms) in milliseconds; throws on a malformed one. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (m === null) throw new Error(`Could not parse duration '${text}' (expected e.g. '1 h', '3600000 ms', '10 s')`);
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (unit === '') return n;
  for (const [re, factor] of UNITS) if (re.test(unit)) return Math.round(n * factor);
  throw new Error(`Unknown time unit '${m[2]}' in duration '${text}'`);
}

/** Validates a SET value for a known key; returns an error text or undefined. */
export function validateSetting(key: string, value: string): string | undefined {
  try {
    switch (key) {
      case 'table.exec.state.ttl':
        parseDuration(value);
        return undefined;
      case 'parallelism.default':
        return /^\d+$/.test(value.trim()) && Number(value) >= 1 ? undefined : `'${key}' must be a positive integer`;
      case 'table.local-time-zone':
        return checkTimeZone(value);
      case 'execution.runtime-mode':
        return value === 'streaming' || value === 'batch' ? undefined : `'${key}' must be 'streaming' or 'batch'`;
      default:
        return undefined;
    }
  } catch (e) {
    return (e as Error).message;
  }
}
