import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../../core/errors.js';
import { isProcessAlive } from '../../core/process-alive.js';

const LOCK = '_lock';

/**
 * One job at a time per checkpoint directory: two runs writing the same checkpoints and output would break
 * exactly-once. The lock file holds the owner's pid; a lock whose process is gone (killed with -9) is taken over. A
 * live owner is waited for up to `waitMs` (a killed run may take a moment to go), then this run fails.
 * Returns the function that releases the lock.
 */
export async function lockCheckpointDirectory(dir: string, waitMs = 5000): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, LOCK);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (!(owner > 0) || owner === process.pid || !isProcessAlive(owner)) break;
    if (Date.now() > deadline) {
      throw new SluiceError(`checkpoint directory ${dir} is in use by another job (pid ${owner})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await writeFile(path, `${process.pid}\n`);
  return async () => {
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (owner === process.pid) await rm(path, { force: true });
  };
}
