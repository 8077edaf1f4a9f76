import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
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

/** Whether `owner` still holds the lock: a live process here, or a lease from another machine renewed lately. */
function held(owner: Owner, renewedAt: number): boolean {
  if (owner.host === hostname()) return owner.pid !== process.pid && isProcessAlive(owner.pid);
  return Date.now() - renewedAt < LEASE_MS;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** The lock file as found: its inode (identity) and its owner (undefined when unreadable or malformed). */
async function inspect(path: string): Promise<{ ino: number; owner: Owner | undefined; mtimeMs: number } | undefined> {
  try {
    const [s, text] = await Promise.all([stat(path), readFile(path, 'utf8')]);
    return { ino: s.ino, owner: parseOwner(text), mtimeMs: s.mtimeMs };
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw new SluiceError(`cannot read the lock ${path} of checkpoint directory: ${(e as Error).message}`);
  }
}

/** Whether a lock file found at `found` no longer protects anything (see lockCheckpointDirectory). */
function isStale(found: { owner: Owner | undefined; mtimeMs: number }): boolean {
  const { owner } = found;
  return owner === undefined ? Date.now() - found.mtimeMs >= RENEW_MS : !held(owner, found.mtimeMs);
}

/**
 * Replaces the stale lock whose inode is `staleIno` with this run's lock file `mine`; true when this run now holds
 * the lock. Takeovers are serialised by a second exclusive file, `_lock.takeover`: inside it the lock is checked to
 * still be the very file judged stale and then replaced by one rename (which overwrites atomically), so the lock is
 * never absent and two starters can never both take it. Removing the stale file and racing to link instead lets a
 * slow remover delete the fresh lock of a faster starter. A takeover file left by a run killed inside this short
 * step is removed once its owner is gone.
 */
async function takeOverStale(dir: string, path: string, staleIno: number, mine: string): Promise<boolean> {
  const guard = join(dir, `${LOCK}.takeover`);
  try {
    await link(mine, guard);
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw e;
    const other = await inspect(guard);
    if (other !== undefined && isStale(other)) await rm(guard, { force: true });
    return false;
  }
  try {
    const found = await inspect(path);
    if (found === undefined || found.ino !== staleIno) return false;
    const replacement = `${mine}.replace`;
    await link(mine, replacement);
    await rename(replacement, path);
    return true;
  } finally {
    await rm(guard, { force: true });
  }
}

/**
 * One job at a time per checkpoint directory: two runs writing the same checkpoints and output would break
 * exactly-once. The lock file `DIR/_lock` holds the owner's pid and host and is created atomically: written under a
 * unique name, then hard-linked to `_lock`, which fails if the lock exists; of simultaneous starters exactly one
 * succeeds. A lock of this machine whose process is gone (killed with -9) is stale; so is a lock of another machine
 * (a directory shared between machines, as in cluster mode) whose lease was not renewed for 15 s (the holder renews
 * it every 2 s). A stale lock is replaced by this run's in one rename, under a takeover guard (takeOverStale), so a
 * takeover races safely too. A live owner is waited for up to `waitMs` (a killed run may take a
 * moment to go), then this run fails with an error naming the directory and the holder. Returns the function that
 * releases the lock (only if it is still this run's).
 */
export async function lockCheckpointDirectory(dir: string, waitMs = 5000): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true }); // a failure names the call and the path; the command describes it
  const path = join(dir, LOCK);
  const me = `${process.pid} ${hostname()}`;
  const mine = join(dir, `${LOCK}.${process.pid}-${randomUUID()}`);
  await writeFile(mine, `${me}\n`, { flag: 'wx' });
  const deadline = Date.now() + waitMs;
  let ino: number;
  try {
    for (;;) {
      try {
        await link(mine, path);
        ino = (await stat(mine)).ino;
        break;
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
      const found = await inspect(path);
      if (found === undefined) continue; // released meanwhile
      const owner = found.owner;
      // A lock file without an owner is being written by an older version, or was cut short by a crash.
      if (isStale(found)) {
        if (await takeOverStale(dir, path, found.ino, mine)) {
          ino = (await stat(mine)).ino;
          break;
        }
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
        continue;
      }
      if (Date.now() > deadline) {
        const holder = owner === undefined ? 'an unknown process' : `pid ${owner.pid} on ${owner.host}`;
        throw new SluiceError(`checkpoint directory ${dir} is in use by another job (${holder}); lock file ${path}`);
      }
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  } finally {
    await rm(mine, { force: true });
  }
  const ours = async () => (await stat(path).catch(() => undefined))?.ino === ino;
  const renew = setInterval(() => {
    ours()
      .then((yes) => {
        const now = new Date();
        if (yes) return utimes(path, now, now);
      })
      .catch(() => {});
  }, RENEW_MS);
  renew.unref();
  return async () => {
    clearInterval(renew);
    if (await ours()) await rm(path, { force: true });
  };
}
