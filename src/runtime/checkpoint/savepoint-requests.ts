import { randomUUID } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../../core/errors.js';
import { METADATA } from './checkpoint-storage.js';

/**
 * Savepoints on demand, through the checkpoint directory: no port to open, and only someone who can write the
 * checkpoint directory can ask. A client (the `sluice savepoint` command) writes `_requests/<id>.json`; the running
 * job polls that folder, takes a checkpoint, copies it to the requested directory as a self-contained savepoint and
 * answers in `_requests/<id>.done.json`. With `stop`, the job stops after the savepoint (its output up to the
 * savepoint committed), so that it can be resumed from it, possibly with another parallelism.
 */

const REQUESTS = '_requests';

export interface SavepointRequest {
  target: string;
  stop: boolean;
}

export interface SavepointAnswer {
  ok: boolean;
  path?: string;
  checkpointId?: number;
  error?: string;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/**
 * Polls for requests every `intervalMs`; `handle` resolves with the answer. Every failure reaches someone: a request
 * that cannot be read or served is answered with the error (the requester prints it), and what cannot be answered
 * (the requests folder cannot be listed, an answer cannot be written) goes to `log` (the job's stderr), once per
 * distinct message. Returns a function that stops polling.
 */
export function watchSavepointRequests(
  root: string,
  intervalMs: number,
  handle: (request: SavepointRequest) => Promise<SavepointAnswer>,
  log: (line: string) => void,
): () => void {
  const dir = join(root, REQUESTS);
  let busy = false;
  const reported = new Set<string>();
  const report = (line: string) => {
    if (reported.has(line)) return;
    reported.add(line);
    log(`error: ${line}`);
  };
  const serve = async (name: string) => {
    const path = join(dir, name);
    const claimed = `${path}.taken`;
    // Claim by rename so a request is served once even if two jobs share the directory by mistake.
    try {
      await rename(path, claimed);
    } catch (e) {
      if (errno(e) === 'ENOENT') return; // served by someone else, or withdrawn by a requester that gave up
      throw new Error(`cannot claim savepoint request ${path}: ${(e as Error).message}`);
    }
    let answer: SavepointAnswer;
    try {
      let request: SavepointRequest;
      try {
        request = JSON.parse(await readFile(claimed, 'utf8')) as SavepointRequest;
      } catch (e) {
        throw new Error(`cannot read savepoint request ${path}: ${(e as Error).message}`);
      }
      answer = await handle(request);
    } catch (e) {
      answer = { ok: false, error: (e as Error).message };
    }
    const id = name.slice(0, -'.request.json'.length);
    try {
      await writeFile(join(dir, `${id}.tmp`), JSON.stringify(answer));
      await rename(join(dir, `${id}.tmp`), join(dir, `${id}.done.json`));
      await rm(claimed, { force: true });
    } catch (e) {
      throw new Error(`cannot answer savepoint request ${path}: ${(e as Error).message}`);
    }
  };
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      const names = await readdir(dir).catch((e) => {
        if (errno(e) === 'ENOENT') return [] as string[];
        throw new Error(`cannot list savepoint requests in ${dir}: ${(e as Error).message}`);
      });
      for (const name of names) {
        if (!name.endsWith('.request.json')) continue;
        await serve(name).catch((e: Error) => report(e.message));
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => {
    poll().catch((e: Error) => report(e.message));
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** Copies a completed checkpoint to `target` as a savepoint (metadata last, so a partial copy is never valid). */
export async function copyCheckpointToSavepoint(checkpointDir: string, target: string): Promise<void> {
  try {
    await mkdir(target, { recursive: true });
  } catch (e) {
    throw new SluiceError(`cannot create savepoint directory ${target}: ${(e as Error).message}`);
  }
  for (const name of await readdir(checkpointDir)) {
    if (name === METADATA) continue;
    await cp(join(checkpointDir, name), join(target, name));
  }
  const metadata = JSON.parse(await readFile(join(checkpointDir, METADATA), 'utf8')) as Record<string, unknown>;
  await writeFile(join(target, `${METADATA}.tmp`), JSON.stringify({ ...metadata, kind: 'savepoint' }, null, 1));
  await rename(join(target, `${METADATA}.tmp`), join(target, METADATA));
}

/**
 * Client side: asks the job running on `root` for a savepoint and waits for the answer. A request that cannot be
 * made or an answer that cannot be read rejects with an error naming the operation and path.
 */
export async function requestSavepoint(
  root: string,
  request: SavepointRequest,
  timeoutMs: number,
): Promise<SavepointAnswer> {
  const dir = join(root, REQUESTS);
  const id = randomUUID();
  const path = join(dir, `${id}.request.json`);
  // A failure here is a file-system error naming its call and path; the command describes it.
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${id}.tmp`), JSON.stringify(request));
  await rename(join(dir, `${id}.tmp`), path);
  const done = join(dir, `${id}.done.json`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await readFile(done, 'utf8').catch((e) => {
      if (errno(e) === 'ENOENT') return undefined;
      throw new SluiceError(`cannot read the answer ${done}: ${(e as Error).message}`);
    });
    if (answer !== undefined) {
      await rm(done, { force: true });
      try {
        return JSON.parse(answer) as SavepointAnswer;
      } catch {
        throw new SluiceError(`the answer ${done} is not valid JSON`);
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await rm(join(dir, `${id}.request.json`), { force: true });
  return { ok: false, error: `no answer within ${timeoutMs} ms: is a job running with --checkpoint-dir ${root}?` };
}
