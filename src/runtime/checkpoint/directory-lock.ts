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

/**
 * Removes the stale lock file whose inode is `ino`, if it is still the one at `path`. The file is renamed aside
 * first (atomic: of several processes renaming it, one succeeds) and its identity checked afterwards; a lock that
 * turns out to be a fresh one (another process took over in between) is linked back.
 */
async function removeStale(path: string, ino: number): Promise<void> {
  const aside = `${path}.stale-${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch (e) {
    if (errno(e) === 'ENOENT') return; // someone else removed it first
    throw e;
  }
  try {
    if ((await stat(aside)).ino !== ino) await link(aside, path).catch(() => {});
  } finally {
    await rm(aside, { force: true });
  }
}

/**
 * One job at a time per checkpoint directory: two runs writing the same checkpoints and output would break
 * exactly-once. The lock file `DIR/_lock` holds the owner's pid and host and is created atomically: written under a
 * unique name, then hard-linked to `_lock`, which fails if the lock exists; of simultaneous starters exactly one
 * succeeds. A lock of this machine whose process is gone (killed with -9) is stale; so is a lock of another machine
 * (a directory shared between machines, as in cluster mode) whose lease was not renewed for 15 s (the holder renews
 * it every 2 s). A stale lock is renamed aside (checked to be the very file judged stale) and the exclusive link
 * tried again, so a takeover races safely too. A live owner is waited for up to `waitMs` (a killed run may take a
 * moment to go), then this run fails with an error naming the directory and the holder. Returns the function that
 * releases the lock (only if it is still this run's).
 */
export async function lockCheckpointDirectory(dir: string, waitMs = 5000): Promise<() => Promise<void>> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new SluiceError(`cannot create checkpoint directory ${dir}: ${(e as Error).message}`);
  }
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
      if (owner === undefined ? Date.now() - found.mtimeMs >= RENEW_MS : !held(owner, found.mtimeMs)) {
        await removeStale(path, found.ino);
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
