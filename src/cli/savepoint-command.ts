import { resolve } from 'node:path';
import { describeFileSystemError, isFileSystemError } from '../core/file-system-error.js';
import { requestSavepoint, type SavepointAnswer } from '../runtime/checkpoint/savepoint-requests.js';

/** `sluice savepoint --checkpoint-dir CK --target DIR [--stop]`: returns the exit code. */
export async function savepointCommand(opts: {
  checkpointDir: string;
  target: string;
  stop?: boolean;
  timeout?: number;
}): Promise<number> {
  let answer: SavepointAnswer;
  try {
    answer = await requestSavepoint(
      resolve(opts.checkpointDir),
      { target: resolve(opts.target), stop: opts.stop ?? false },
      opts.timeout ?? 60_000,
    );
  } catch (e) {
    // The request could not even be placed (a checkpoint directory that cannot be created or written).
    process.stderr.write(
      `error: savepoint failed: ${isFileSystemError(e) ? describeFileSystemError(e) : (e as Error).message}\n`,
    );
    return 1;
  }
  if (!answer.ok) {
    process.stderr.write(`error: savepoint failed: ${answer.error}\n`);
    return 1;
  }
  process.stdout.write(`${answer.path}\n`);
  return 0;
}
