import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Buffered text above this size is handed to the file system in the background. */
const WRITE_AT_CHARS = 1024 * 1024;
/** With this much buffered while a write is still in flight, `append` makes the caller wait. */
const MAX_BUFFERED_CHARS = 4 * 1024 * 1024;

/**
 * Appends text to one file with asynchronous writes. Text is buffered and written in ~1 MiB pieces while the caller
 * keeps producing; only when a write is still in flight and ~4 MiB more have piled up does `append` return a promise,
 * which is how a slow disk backpressures the pipeline without unbounded memory. A failed write is rethrown by the
 * next call.
 */
export class BufferedFileWriter {
  private handle: FileHandle | undefined;
  private parts: string[] = [];
  private bufferedChars = 0;
  private position = 0;
  private inFlight: Promise<void> | undefined;
  private failure: Error | undefined;
  private directorySynced = false;
  /** True when bytes were written since the last fsync; a second flush (close after flush) then skips the fsync. */
  private unsynced = false;

  constructor(readonly path: string) {}

  /** Creates missing parent directories and creates or truncates the file. */
  async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.handle = await open(this.path, 'w');
  }

  /** Buffers `text`; returns a promise when the caller should wait before appending more. */
  append(text: string): void | Promise<void> {
    this.throwIfFailed();
    if (text.length === 0) return;
    this.parts.push(text);
    this.bufferedChars += text.length;
    if (this.bufferedChars >= WRITE_AT_CHARS) this.startWrite();
    if (this.inFlight !== undefined && this.bufferedChars >= MAX_BUFFERED_CHARS) {
      return this.inFlight.then(() => this.throwIfFailed());
    }
  }

  /** Writes everything buffered and fsyncs the file (and, once, its directory so that the new entry survives too). */
  async flush(): Promise<void> {
    this.throwIfFailed();
    const handle = this.handle;
    if (handle === undefined) return;
    while (this.inFlight !== undefined || this.parts.length > 0) {
      if (this.inFlight === undefined) this.startWrite();
      await this.inFlight;
      this.throwIfFailed();
    }
    if (this.unsynced) {
      this.unsynced = false;
      await handle.sync();
    }
    if (!this.directorySynced) {
      await syncDirectory(dirname(this.path));
      this.directorySynced = true;
    }
  }

  /** Flushes, then closes the file; the file is closed even when flushing fails. Idempotent. */
  async close(): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) return;
    try {
      await this.flush();
    } finally {
      this.handle = undefined;
      await handle.close();
    }
  }

  private startWrite(): void {
    if (this.inFlight !== undefined || this.parts.length === 0) return;
    const data = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.bufferedChars = 0;
    this.inFlight = this.writeAll(data).then(
      () => {
        this.inFlight = undefined;
        // What piled up meanwhile goes next, so the disk stays busy while the producer runs.
        if (this.bufferedChars >= WRITE_AT_CHARS) this.startWrite();
      },
      (e: unknown) => {
        this.inFlight = undefined;
        this.failure = new Error(`cannot write '${this.path}': ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
        });
      },
    );
  }

  private async writeAll(data: Buffer): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) throw new Error('file is not open');
    this.unsynced = true;
    let offset = 0;
    // A write may be partial; loop with explicit positions so nothing is lost or reordered.
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset, this.position);
      offset += bytesWritten;
      this.position += bytesWritten;
    }
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

/** Fsyncs a directory. Some platforms and file systems cannot; durability of the entry is then best effort. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF' && code !== 'ENOTSUP') throw e;
  } finally {
    await handle?.close();
  }
}
