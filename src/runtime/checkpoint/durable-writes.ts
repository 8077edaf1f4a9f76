import { Worker } from 'node:worker_threads';

/**
 * Durable writes of small checkpoint files (state files, metadata) on a helper thread, one per thread that asks.
 *
 * Why: a checkpoint every few tens of milliseconds (Stateful Functions answer only after the checkpoint that covers
 * them) wrote each file with about five promise-based calls — directory, open, write, fsync, close — and each call's
 * completion waited for the processing thread to come round to it, so a busy thread stretched a checkpoint to many
 * times the time the disk took. The helper makes the same calls synchronously, one request after the other, and
 * answers once: one message out and one back per file. The bytes on disk are the same.
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

  private request(m: { op: string; path: string; temp?: string; data: Uint8Array }) {
    const worker = this.start();
    const id = this.nextId++;
    // A view of part of a larger buffer (Node's pool for small buffers) would clone all of that buffer: only a
    // buffer of its own moves.
    const own = m.data.byteOffset === 0 && m.data.byteLength === m.data.buffer.byteLength;
    return new Promise<unknown>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Held while a write is pending: a finished job must not wait for an idle helper to exit.
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage({ ...m, id }, own ? [m.data.buffer as ArrayBuffer] : []);
    });
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    // execArgv []: the helper is plain JavaScript and needs none of the loaders the job's threads run with.
    const worker = new Worker(new URL('./durable-write-worker.mjs', import.meta.url), { execArgv: [] });
    type Answer = { id: number; result?: unknown; error?: { message: string; code?: string; syscall?: string } };
    worker.on('message', (a: Answer) => {
      const w = this.waiting.get(a.id);
      if (w === undefined) return;
      this.waiting.delete(a.id);
      if (this.waiting.size === 0) worker.unref();
      if (a.error === undefined) w.resolve(a.result);
      else w.reject(Object.assign(new Error(a.error.message), { code: a.error.code, syscall: a.error.syscall }));
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
