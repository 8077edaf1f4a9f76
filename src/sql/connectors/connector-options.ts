import { PlanError } from '../../core/errors.js';
import { nearestName } from '../sql-error.js';
import type { ResolvedTable } from './table-connector.js';

/**
 * A table's WITH options are wrong: missing, unknown, or a value that does not fit. `reason` is the message without
 * position and `suggestion` the "Did you mean ...?" line, so the planner can make a `SqlError` pointing at the
 * CREATE TABLE from them; the message alone already names the table and the option.
 */
export class TableOptionError extends PlanError {
  override name = 'TableOptionError';
  constructor(
    readonly reason: string,
    readonly option: string | undefined,
    readonly suggestion?: string,
  ) {
    super(suggestion === undefined ? reason : `${reason}\n${suggestion}`);
  }
}

/**
 * Typed, validated access to a table's WITH options. `check` refuses every option that is neither listed as known
 * nor under an allowed prefix (`properties.`, `fields.`), suggesting the nearest known name, as Flink refuses
 * unsupported options.
 */
export class ConnectorOptions {
  private readonly options: ReadonlyMap<string, string>;
  constructor(readonly table: ResolvedTable) {
    this.options = table.options;
  }

  /** Refuses options not in `known` (besides 'connector') and not starting with one of `prefixes`. */
  check(known: readonly string[], prefixes: readonly string[] = []): void {
    const all = ['connector', ...known];
    for (const key of this.options.keys()) {
      if (all.includes(key) || prefixes.some((p) => key.startsWith(p))) continue;
      const near = nearestName(key, all);
      throw new TableOptionError(
        `Unsupported option '${key}' for connector '${this.connector}' of table '${this.table.name}' (supported: ${known.join(', ')}${prefixes.map((p) => `, ${p}*`).join('')})`,
        key,
        near === undefined ? undefined : `Did you mean '${near}'?`,
      );
    }
  }

  get connector(): string {
    return this.options.get('connector') ?? '';
  }

  has(key: string): boolean {
    return this.options.has(key);
  }

  keys(): IterableIterator<string> {
    return this.options.keys();
  }

  string(key: string): string | undefined;
  string(key: string, fallback: string): string;
  string(key: string, fallback?: string): string | undefined {
    return this.options.get(key) ?? fallback;
  }

  required(key: string): string {
    const value = this.options.get(key);
    if (value === undefined || value.trim() === '') {
      throw new TableOptionError(
        `Table '${this.table.name}' (connector '${this.connector}') needs the option '${key}'`,
        key,
      );
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.options.get(key);
    if (value === undefined) return fallback;
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw this.invalid(key, value, "'true' or 'false'");
  }

  integer(key: string, fallback: number, min?: number): number;
  integer(key: string, fallback: undefined, min?: number): number | undefined;
  integer(key: string, fallback: number | undefined, min = Number.MIN_SAFE_INTEGER): number | undefined {
    const value = this.options.get(key);
    if (value === undefined) return fallback;
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isSafeInteger(n) || n < min)
      throw this.invalid(key, value, min === Number.MIN_SAFE_INTEGER ? 'an integer' : `an integer >= ${min}`);
    return n;
  }

  number(key: string, fallback: number): number {
    const value = this.options.get(key);
    if (value === undefined) return fallback;
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n)) throw this.invalid(key, value, 'a number');
    return n;
  }

  choice<T extends string>(key: string, values: readonly T[], fallback: T): T;
  choice<T extends string>(key: string, values: readonly T[], fallback?: undefined): T | undefined;
  choice<T extends string>(key: string, values: readonly T[], fallback?: T): T | undefined {
    const value = this.options.get(key);
    if (value === undefined) return fallback;
    const found = values.find((v) => v.toLowerCase() === value.trim().toLowerCase());
    if (found === undefined) {
      const near = nearestName(value, values);
      throw new TableOptionError(
        `Invalid value '${value}' of option '${key}' of table '${this.table.name}': expected one of ${values.map((v) => `'${v}'`).join(', ')}`,
        key,
        near === undefined ? undefined : `Did you mean '${near}'?`,
      );
    }
    return found;
  }

  /** Milliseconds of a duration option: `500`, `500 ms`, `10 s`, `2 min`, `1 h`. */
  duration(key: string): number | undefined {
    const value = this.options.get(key);
    if (value === undefined) return undefined;
    const m =
      /^\s*(\d+(?:\.\d+)?)\s*(ms|milli|millis|s|sec|secs|second|seconds|min|minute|minutes|h|hour|hours|d|day|days)?\s*$/i.exec(
        value,
      );
    if (m === null) throw this.invalid(key, value, "a duration such as '10 s' or '500 ms'");
    const unit = (m[2] ?? 'ms').toLowerCase();
    const factor =
      unit.startsWith('ms') || unit.startsWith('milli')
        ? 1
        : unit.startsWith('s')
          ? 1000
          : unit.startsWith('m')
            ? 60_000
            : unit.startsWith('h')
              ? 3_600_000
              : 86_400_000;
    return Number(m[1]) * factor;
  }

  invalid(key: string, value: string, expected: string): TableOptionError {
    return new TableOptionError(
      `Invalid value '${value}' of option '${key}' of table '${this.table.name}': expected ${expected}`,
      key,
    );
  }
}
