import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SluiceError } from '../core/errors.js';
import { describeFileSystemError, isFileSystemError } from '../core/file-system-error.js';
import { JobFailedError, type WireError } from '../runtime/errors-wire.js';

const engineDir = fileURLToPath(new URL('..', import.meta.url));
/** The command's launcher: its frames are the engine's too. */
const binDir = fileURLToPath(new URL('../../bin/', import.meta.url));

/**
 * Prints a failure for a person: one `error:` line they can act on, then the frames of the user's code that threw
 * (engine, dependency and Node-internal frames are left out). A failed file-system call is reported as the
 * operation, the path and the reason, without the engine's frames. Other unexpected engine errors keep their whole
 * stack.
 */
export function reportError(e: unknown, jobFile: string): void {
  const err = process.stderr;
  if (e instanceof JobFailedError) {
    const fileSystem = fileSystemFailure(e.wire);
    if (fileSystem !== undefined) {
      err.write(`error: ${fileSystem}\n`);
      return;
    }
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
  if (isFileSystemError(e)) {
    // Thrown on this thread, by the engine (a checkpoint directory) or by the job's own code while it was built.
    err.write(`error: ${describeFileSystemError(e)}\n`);
    if (e.stack) err.write(userFrames(e.stack));
    return;
  }
  if (e instanceof Error) {
    // Errors while loading or building the job: TypeScript compile errors name file:line:column in the message;
    // Node's own syntax errors in JavaScript do not, so the job file is checked again to show where.
    err.write(`error: failed to load job ${jobFile}: ${e.message}\n`);
    if (e.name === 'SyntaxError') err.write(syntaxErrorLocation(jobFile));
    // Node reads import/export in a CommonJS file as an ES module required from itself.
    if (/Cannot require\(\) ES Module .* in a cycle/.test(e.message)) err.write(`  ${ESM_IN_COMMONJS}\n`);
    if (e.stack && !e.message.includes('Transform failed')) err.write(userFrames(e.stack));
    return;
  }
  err.write(`error: ${String(e)}\n`);
}

/**
 * The message for a job that failed in a file-system call made by the engine (not by user code, whose errors name
 * the operator): the call described, or the message of the engine error wrapping it, which names the path.
 */
function fileSystemFailure(wire: WireError): string | undefined {
  if (wire.user) return undefined;
  if (wire.fileSystem !== undefined) return describeFileSystemError(wire.fileSystem);
  if (wire.cause?.fileSystem !== undefined) return wire.message;
  return undefined;
}

const ESM_IN_COMMONJS =
  'a file uses ES module syntax (import/export) but is loaded as CommonJS: name it .mjs (or .mts), set "type": "module" in its package.json, or use require() and module.exports';

/**
 * Where `node --check` finds a syntax error in a JavaScript job file: `file:line`, the line and a caret, indented;
 * empty when the file itself is fine (the error is in a file it imports) or is TypeScript (tsx names the place).
 */
function syntaxErrorLocation(jobFile: string): string {
  if (/\.[cm]?ts$/.test(jobFile)) return '';
  const check = spawnSync(process.execPath, ['--check', jobFile], { encoding: 'utf8', timeout: 10_000 });
  if (check.status === 0 || typeof check.stderr !== 'string') return '';
  const [where, line, caret] = check.stderr.split('\n');
  return where?.startsWith(jobFile) ? `  at ${where}\n    ${line}\n    ${caret}\n` : '';
}

/** The `at …` lines of a stack that point into user code, indented; empty when there are none. */
export function userFrames(stack: string): string {
  const frames = stack
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .filter(
      (l) =>
        !l.includes(engineDir) && !l.includes(binDir) && !l.includes('node_modules') && !l.includes('node:internal'),
    );
  return frames.length === 0 ? '' : `${frames.map((l) => `  ${l.trim()}`).join('\n')}\n`;
}
