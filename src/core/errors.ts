/** Errors a user can act on. Each carries enough context to name the operator, file, line or record involved. */

/** Base class: the message is written to be shown to the user as is, without a stack. */
export class SluiceError extends Error {
  override name = 'SluiceError';
}

/** A job definition is invalid (bad configuration, wrong API use). Thrown while the plan is built. */
export class PlanError extends SluiceError {
  override name = 'PlanError';
}

/** Input that cannot be parsed: names the source, file and line. */
export class InputError extends SluiceError {
  override name = 'InputError';
  constructor(
    message: string,
    readonly file: string | undefined,
    readonly line: number | undefined,
  ) {
    super(message);
  }
}

/** A user function threw. Names the operator and summarises the record that was being processed. */
export class UserFunctionError extends SluiceError {
  override name = 'UserFunctionError';
  constructor(
    readonly operatorName: string,
    readonly recordSummary: string | undefined,
    override readonly cause: unknown,
  ) {
    super(
      `operator '${operatorName}' failed${recordSummary === undefined ? '' : ` on record ${recordSummary}`}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
    );
  }
}

/**
 * A key selector threw, or returned something that is not a key (undefined, an object, …). Names the operator the
 * keyed stream feeds and summarises the record.
 */
export class KeySelectorError extends SluiceError {
  override name = 'KeySelectorError';
  constructor(
    readonly operatorName: string,
    readonly recordSummary: string,
    override readonly cause: unknown,
    /** True when the selector ran but its result is not a key; false when it threw. */
    readonly invalidKey: boolean,
  ) {
    super(
      `the key selector of operator ${operatorName} ${invalidKey ? 'returned an invalid key' : 'failed'} on record ${recordSummary}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
    );
  }
}

/** A short, bounded, printable summary of a record for error messages. */
export function summarizeRecord(value: unknown, maxLength = 200): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > maxLength ? `${text.slice(0, maxLength)}… (${text.length} chars)` : text;
}
