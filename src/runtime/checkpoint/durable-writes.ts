import { Worker } from 'node:worker_threads';

/** One request to the helper (durable-write-worker.mjs). */
interface Request {
  op: 'checksummed' | 'replace' | 'remove';
  path: string;
  temp?: string;
  data?: Uint8Array;
}

/**
 * Durable writes of small checkpoint files (state files, metadata) on a helper thread, one per thread that asks.
 *
 * Why: a checkpoint every few tens of milliseconds (Stateful Functions answer only after the checkpoint that covers
 * them) wrote each file with about five promise-based calls — directory, open, write, fsync, close — and each call's
 * completion waited for the processing thread to come round to it, so a busy thread stretched a checkpoint to many
 * times the time the disk took. The helper makes the same calls synchronously, one request after the other, and
 * answers once: one message out and one back per batch of requests. The bytes on disk are the same.
 */
class DurableWriter {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (result: unknown) => void; reject: (e: Error) => void }>();

  /**
   * Writes the SHA-256 of `payload` as 64 hex digits and a newline, then the payload, to `path` (creating its
   * directory), and fsyncs it; resolves to the checksum. A payload that has its memory to itself is moved to the
   * helper, not copied, and is unusable here afterwards.
   */
  writeChecksummed(path: string, payload: Uint8Array): Promise<string> {
    return this.request({ op: 'checksummed', path, data: payload }) as Promise<string>;
  }

  /**
   * Replaces `path` with `data` so that a reader sees the old file or the whole new one: written to `temp` and
   * fsynced, renamed over `path`, and the directory fsynced.
   */
  replace(path: string, temp: string, data: Uint8Array): Promise<void> {
    return this.request({ op: 'replace', path, temp, data }) as Promise<void>;
  }

  /**
   * Deletes the directory `path` and the files in it (nothing if it is gone). One message instead of a listing, an
   * unlink per file and an rmdir on the calling thread: pruning follows every checkpoint.
   */
  removeDirectory(path: string): Promise<void> {
    return this.request({ op: 'remove', path }) as Promise<void>;
  }

  private request(m: Request) {
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.queued.push({ ...m, id });
      // Requests made in one turn of the event loop (the state files of a thread's subtasks, or a checkpoint's
      // metadata and the pruning after it) go in one message: each message wakes the helper, and on busy cores
      // that wake-up costs the sending thread more than the request itself.
      if (this.queued.length === 1) setImmediate(() => this.post());
    });
  }

  private queued: (Request & { id: number })[] = [];

  private post(): void {
    const requests = this.queued;
    this.queued = [];
    const worker = this.start();
    // A view of part of a larger buffer (Node's pool for small buffers) would clone all of that buffer: only a
    // buffer of its own moves.
    const transfer: ArrayBuffer[] = [];
    for (const { data } of requests) {
      if (data !== undefined && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength)
        transfer.push(data.buffer as ArrayBuffer);
    }
    // Held while a write is pending: a finished job must not wait for an idle helper to exit.
    worker.ref();
    worker.postMessage(requests, transfer);
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    // execArgv []: the helper is plain JavaScript and needs none of the loaders the job's threads run with.
    const worker = new Worker(new URL('./durable-write-worker.mjs', import.meta.url), { execArgv: [] });
    type Answer = { id: number; result?: unknown; error?: { message: string; code?: string; syscall?: string } };
    worker.on('message', (answers: Answer[]) => {
      for (const a of answers) {
        const w = this.waiting.get(a.id);
        if (w === undefined) continue;
        this.waiting.delete(a.id);
        if (a.error === undefined) w.resolve(a.result);
        else w.reject(Object.assign(new Error(a.error.message), { code: a.error.code, syscall: a.error.syscall }));
      }
      if (this.waiting.size === 0) worker.unref();
    });
    worker.on('error', (e) => this.failAll(e));
    worker.on('exit', () => {
      this.worker = undefined;
      this.failAll(new Error('the checkpoint writer thread exited'));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(e: Error): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(e);
  }
}

let writer: DurableWriter | undefined;

/** This thread's durable writer (started on first use). */
export function durableWriter(): DurableWriter {
  writer ??= new DurableWriter();
  return writer;
}
