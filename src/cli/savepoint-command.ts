import { resolve } from 'node:path';
import { requestSavepoint } from '../runtime/checkpoint/savepoint-requests.js';

/** `sluice savepoint --checkpoint-dir CK --target DIR [--stop]`: returns the exit code. */
export async function savepointCommand(opts: {
  checkpointDir: string;
  target: string;
  stop?: boolean;
  timeout?: number;
}): Promise<number> {
  const answer = await requestSavepoint(
    resolve(opts.checkpointDir),
    { target: resolve(opts.target), stop: opts.stop ?? false },
    opts.timeout ?? 60_000,
  );
  if (!answer.ok) {
    process.stderr.write(`error: savepoint failed: ${answer.error}\n`);
    return 1;
  }
  process.stdout.write(`${answer.path}\n`);
  return 0;
}
