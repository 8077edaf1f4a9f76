import { SluiceError } from '../core/errors.js';
import { JobFailedError } from '../runtime/errors-wire.js';

/**
 * Prints a failure for a person: one `error:` line they can act on, then the stack of the user code that threw
 * (when there is one). Engine-internal stacks are shown only for unexpected errors.
 */
export function reportError(e: unknown, jobFile: string): void {
  const err = process.stderr;
  if (e instanceof JobFailedError) {
    err.write(`error: ${e.message}\n`);
    const cause = e.wire.cause;
    if (cause?.stack) err.write(`${indent(cause.stack)}\n`);
    else if (!e.wire.user && e.wire.stack) err.write(`${indent(e.wire.stack)}\n`);
    return;
  }
  if (e instanceof SluiceError) {
    err.write(`error: ${e.message}\n`);
    return;
  }
  if (e instanceof Error) {
    // Errors while loading the job file: syntax errors name file:line in the message; runtime ones in the stack.
    err.write(`error: failed to load or build job ${jobFile}: ${e.message}\n`);
    if (e.stack) err.write(`${indent(e.stack.split('\n').slice(1).join('\n'))}\n`);
    return;
  }
  err.write(`error: ${String(e)}\n`);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l.trim()}`)
    .join('\n');
}
