import { randomUUID } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Polls for requests every `intervalMs`; `handle` resolves with the answer. Returns a function that stops polling. */
export function watchSavepointRequests(
  root: string,
  intervalMs: number,
  handle: (request: SavepointRequest) => Promise<SavepointAnswer>,
): () => void {
  const dir = join(root, REQUESTS);
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (!name.endsWith('.request.json')) continue;
        const path = join(dir, name);
        const claimed = `${path}.taken`;
        // Claim by rename so a request is served once even if two jobs share the directory by mistake.
        if (
          !(await rename(path, claimed).then(
            () => true,
            () => false,
          ))
        )
          continue;
        let answer: SavepointAnswer;
        try {
          const request = JSON.parse(await readFile(claimed, 'utf8')) as SavepointRequest;
          answer = await handle(request);
        } catch (e) {
          answer = { ok: false, error: (e as Error).message };
        }
        const id = name.slice(0, -'.request.json'.length);
        await writeFile(join(dir, `${id}.tmp`), JSON.stringify(answer));
        await rename(join(dir, `${id}.tmp`), join(dir, `${id}.done.json`));
        await rm(claimed, { force: true });
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => {
    poll().catch(() => {});
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** Copies a completed checkpoint to `target` as a savepoint (metadata last, so a partial copy is never valid). */
export async function copyCheckpointToSavepoint(checkpointDir: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const name of await readdir(checkpointDir)) {
    if (name === METADATA) continue;
    await cp(join(checkpointDir, name), join(target, name));
  }
  const metadata = JSON.parse(await readFile(join(checkpointDir, METADATA), 'utf8')) as Record<string, unknown>;
  await writeFile(join(target, `${METADATA}.tmp`), JSON.stringify({ ...metadata, kind: 'savepoint' }, null, 1));
  await rename(join(target, `${METADATA}.tmp`), join(target, METADATA));
}

/** Client side: asks the job running on `root` for a savepoint and waits for the answer. */
export async function requestSavepoint(
  root: string,
  request: SavepointRequest,
  timeoutMs: number,
): Promise<SavepointAnswer> {
  const dir = join(root, REQUESTS);
  await mkdir(dir, { recursive: true });
  const id = randomUUID();
  await writeFile(join(dir, `${id}.tmp`), JSON.stringify(request));
  await rename(join(dir, `${id}.tmp`), join(dir, `${id}.request.json`));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await readFile(join(dir, `${id}.done.json`), 'utf8').catch(() => undefined);
    if (answer !== undefined) {
      await rm(join(dir, `${id}.done.json`), { force: true });
      return JSON.parse(answer) as SavepointAnswer;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await rm(join(dir, `${id}.request.json`), { force: true });
  return { ok: false, error: `no answer within ${timeoutMs} ms: is a job running with --checkpoint-dir ${root}?` };
}
