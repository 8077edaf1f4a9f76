import { fileURLToPath } from 'node:url';
import { SluiceError } from '../core/errors.js';
import { JobFailedError } from '../runtime/errors-wire.js';

const engineDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * Prints a failure for a person: one `error:` line they can act on, then the frames of the user's code that threw
 * (engine, dependency and Node-internal frames are left out). Unexpected engine errors keep their whole stack.
 */
export function reportError(e: unknown, jobFile: string): void {
  const err = process.stderr;
  if (e instanceof JobFailedError) {
    err.write(`error: ${e.message}\n`);
    const cause = e.wire.cause;
    if (cause?.stack) err.write(userFrames(cause.stack));
    else if (!e.wire.user && e.wire.stack) err.write(`${e.wire.stack}\n`);
    return;
  }
  if (e instanceof SluiceError) {
    err.write(`error: ${e.message}\n`);
    return;
  }
  if (e instanceof Error) {
    // Errors while loading or building the job: compile errors name file:line:column in the message.
    err.write(`error: failed to load job ${jobFile}: ${e.message}\n`);
    if (e.stack && !e.message.includes('Transform failed')) err.write(userFrames(e.stack));
    return;
  }
  err.write(`error: ${String(e)}\n`);
}

/** The `at …` lines of a stack that point into user code, indented; empty when there are none. */
export function userFrames(stack: string): string {
  const frames = stack
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .filter((l) => !l.includes(engineDir) && !l.includes('node_modules') && !l.includes('node:internal'));
  return frames.length === 0 ? '' : `${frames.map((l) => `  ${l.trim()}`).join('\n')}\n`;
}
