import { SluiceError, UserFunctionError } from '../core/errors.js';
import { isFileSystemError, type SystemCallError } from '../core/file-system-error.js';

/** An error as it crosses a thread boundary. */
export interface WireError {
  name: string;
  message: string;
  stack: string | undefined;
  /** True for errors whose message is meant for the user as is (SluiceError and subclasses). */
  user: boolean;
  cause?: WireError;
  /** Set when a file-system call failed: what it did, on which path, and the error code. */
  fileSystem?: SystemCallError;
  /** A user function failed: the operator it belongs to, and a summary of the record it was processing. */
  operator?: string;
  record?: string;
}

export function toWire(e: unknown): WireError {
  if (e instanceof Error) {
    return {
      name: e.name,
      message: e.message,
      stack: e.stack,
      user: e instanceof SluiceError,
      cause: e.cause === undefined ? undefined : toWire(e.cause),
      ...(e instanceof UserFunctionError
        ? { operator: e.operatorName, ...(e.recordSummary === undefined ? {} : { record: e.recordSummary }) }
        : {}),
      ...(isFileSystemError(e)
        ? {
            fileSystem: {
              code: e.code,
              syscall: e.syscall,
              path: e.path,
              ...(e.dest === undefined ? {} : { dest: e.dest }),
            },
          }
        : {}),
    };
  }
  return { name: 'Error', message: String(e), stack: undefined, user: false };
}

/** The failure of a job, rebuilt on the coordinator's side. */
export class JobFailedError extends SluiceError {
  override name = 'JobFailedError';
  constructor(readonly wire: WireError) {
    super(wire.message);
    this.stack = wire.stack;
  }
  /** The stack of the user code that threw, when there is one. */
  get userStack(): string | undefined {
    return this.wire.cause?.stack;
  }
}
