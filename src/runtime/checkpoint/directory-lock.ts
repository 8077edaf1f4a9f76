import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SluiceError } from '../../core/errors.js';
import { isProcessAlive } from '../../core/process-alive.js';

const LOCK = '_lock';
/** How often a lock holder renews its lease (the lock file's modification time). */
const RENEW_MS = 2_000;
/** A lock of another machine whose lease was not renewed for this long is taken over. */
const LEASE_MS = 15_000;

interface Owner {
  readonly pid: number;
  readonly host: string;
}

/** `<pid> <host>`; a lock written by an older version holds only the pid (this machine). */
function parseOwner(text: string): Owner | undefined {
  const [pid, host] = text.trim().split(/\s+/);
  const n = Number(pid);
  return n > 0 ? { pid: n, host: host ?? hostname() } : undefined;
}

/** Whether `owner` still holds the lock at `path`: a live process here, or a fresh lease from another machine. */
async function held(owner: Owner, path: string): Promise<boolean> {
  if (owner.host === hostname()) return owner.pid !== process.pid && isProcessAlive(owner.pid);
  const renewed = await stat(path).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return Date.now() - renewed < LEASE_MS;
}

/**
 * One job at a time per checkpoint directory: two runs writing the same checkpoints and output would break
 * exactly-once. The lock file holds the owner's pid and host. A lock of this machine whose process is gone (killed
 * with -9) is taken over. A lock of another machine (a directory shared between machines, as in cluster mode) is a
 * lease: its holder renews it every 2 s, and one not renewed for 15 s is taken over. A live owner is waited for up to
 * `waitMs` (a killed run may take a moment to go), then this run fails. Returns the function that releases the lock.
 */
export async function lockCheckpointDirectory(dir: string, waitMs = 5000): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, LOCK);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const owner = parseOwner(await readFile(path, 'utf8').catch(() => ''));
    if (owner === undefined || !(await held(owner, path))) break;
    if (Date.now() > deadline) {
      throw new SluiceError(`checkpoint directory ${dir} is in use by another job (pid ${owner.pid} on ${owner.host})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const me = `${process.pid} ${hostname()}`;
  await writeFile(path, `${me}\n`);
  const renew = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, RENEW_MS);
  renew.unref();
  return async () => {
    clearInterval(renew);
    const current = (await readFile(path, 'utf8').catch(() => '')).trim();
    if (current === me) await rm(path, { force: true });
  };
}
