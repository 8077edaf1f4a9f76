import { type FileHandle, open } from 'node:fs/promises';
import { InputError } from '../../core/errors.js';

/**
 * A file to read, from byte `offset` on (non-zero when resuming from a snapshot or reading a range of the file).
 * `readFrom`, when set, is where reading starts instead (one byte early, so that a range's reader can tell whether
 * a line starts at `offset`).
 */
export interface FileTask {
  readonly file: string;
  readonly offset: number;
  readonly readFrom?: number;
  /** The range of the file this task reads, if it reads one (see `FileSplit`). */
  readonly start?: number;
  readonly end?: number;
}

/**
 * What the pump hands to the reader, in file order: 'open' starts a file, 'data' carries its next bytes and 'eof'
 * ends it. Every opened file gets exactly one 'eof'.
 */
export type PumpEvent =
  | { readonly kind: 'open'; readonly task: FileTask }
  | { readonly kind: 'data'; readonly bytes: Buffer }
  | { readonly kind: 'eof'; readonly task: FileTask };

/** Configuration of a {@link ChunkPump}. */
export interface ChunkPumpOptions {
  /** Size of one read; the pump buffers at most two chunks ahead of the consumer. */
  readonly chunkBytes: number;
  /** The next file to read; undefined when there are none left. May wait (e.g. for a directory to be rescanned). */
  readonly nextTask: () => Promise<FileTask | undefined>;
  /** True to skip a file that vanished before it could be opened (watch mode), false to fail. */
  readonly skipMissing: boolean;
}

/**
 * Smallest read used to confirm the end of a file whose size `stat` reported as fully read, or to find the end of
 * a range's last line.
 */
const EOF_PROBE_BYTES = 4096;

/**
 * Reads files asynchronously, one after the other, into a small queue of events that a reader drains
 * synchronously. This split is what lets `pollNext` stay non-blocking: all I/O happens here, off the poll path,
 * and the queue is bounded (two chunks) so a slow consumer holds back the reads instead of growing memory.
 */
export class ChunkPump {
  private readonly events: PumpEvent[] = [];
  private head = 0;
  /** Bytes of queued 'data' events; what the read-ahead limit applies to. */
  private bufferedBytes = 0;
  private finished = false;
  private failure: unknown;
  private stopped = false;
  private running: Promise<void> | undefined;
  /** Resolved when the consumer may have something new to look at. */
  private readyWaiter: Deferred | undefined;
  /** Resolved when the consumer released buffered bytes or the pump is stopped. */
  private spaceWaiter: Deferred | undefined;
  /** The task being read, and whether the consumer needs no more of it. */
  private current: FileTask | undefined;
  private abandoned = false;

  constructor(private readonly options: ChunkPumpOptions) {}

  /** Starts reading in the background. Idempotent. */
  start(): void {
    if (this.running !== undefined) return;
    this.running = this.run().then(
      () => {
        this.finished = true;
        this.wakeConsumer();
      },
      (e: unknown) => {
        this.failure = e;
        this.wakeConsumer();
      },
    );
  }

  /** The oldest unconsumed event, if any. Throws the error that stopped the pump once everything before it is used. */
  peek(): PumpEvent | undefined {
    if (this.head < this.events.length) return this.events[this.head];
    if (this.failure !== undefined) throw this.failure;
    return undefined;
  }

  /** Removes the event {@link peek} returned; for 'data', frees its bytes for read-ahead. */
  shift(): void {
    const event = this.events[this.head];
    if (event === undefined) return;
    this.events[this.head++] = undefined as unknown as PumpEvent;
    if (this.head === this.events.length) {
      this.events.length = 0;
      this.head = 0;
    }
    if (event.kind === 'data') {
      this.bufferedBytes -= event.bytes.length;
      this.spaceWaiter?.resolve();
      this.spaceWaiter = undefined;
    }
  }

  /** True once every file has been read and every event consumed. */
  get exhausted(): boolean {
    return this.finished && this.head === this.events.length;
  }

  /** Resolves when {@link peek} may return something new, when the pump failed, or when it finished. */
  whenReady(): Promise<void> {
    if (this.head < this.events.length || this.finished || this.failure !== undefined || this.stopped) {
      return Promise.resolve();
    }
    this.readyWaiter ??= deferred();
    return this.readyWaiter.promise;
  }

  /**
   * The consumer needs no more of `task` (it has read its range): reading it stops, and its 'eof' comes after the
   * data already queued, which the consumer drops. Does nothing once the pump has moved on to another task.
   */
  abandon(task: FileTask): void {
    if (this.current !== task) return;
    this.abandoned = true;
    this.spaceWaiter?.resolve();
    this.spaceWaiter = undefined;
  }

  /** Stops reading, closes the open file and waits for the background loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.spaceWaiter?.resolve();
    this.wakeConsumer();
    // The loop closes its file itself; waiting for it means no read is still in flight after close().
    await this.running;
  }

  private push(event: PumpEvent): void {
    this.events.push(event);
    if (event.kind === 'data') this.bufferedBytes += event.bytes.length;
    this.wakeConsumer();
  }

  private wakeConsumer(): void {
    this.readyWaiter?.resolve();
    this.readyWaiter = undefined;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const task = await this.options.nextTask();
      if (task === undefined || this.stopped) return;
      await this.readFile(task);
    }
  }

  private async readFile(task: FileTask): Promise<void> {
    const { chunkBytes } = this.options;
    let handle: FileHandle;
    try {
      handle = await open(task.file, 'r');
    } catch (e) {
      if (this.options.skipMissing && (e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new InputError(`cannot open input file '${task.file}': ${(e as Error).message}`, task.file, undefined);
    }
    this.current = task;
    this.abandoned = false;
    try {
      let position = task.readFrom ?? task.offset;
      const size = (await handle.stat()).size;
      let probe = Math.min(chunkBytes, EOF_PROBE_BYTES);
      this.push({ kind: 'open', task });
      while (!this.stopped && !this.abandoned) {
        // Allow at most two chunks in the queue: wait until the consumer is within one chunk of the reads.
        while (this.bufferedBytes > chunkBytes && !this.stopped && !this.abandoned) {
          this.spaceWaiter ??= deferred();
          await this.spaceWaiter.promise;
        }
        if (this.stopped) return;
        if (this.abandoned) break;
        // A fresh buffer per read because queued chunks stay referenced until consumed; sized to what is left so
        // that many small files do not each allocate a full chunk. A range's reads stop at its end, then go on in
        // small reads only as far as its last line reaches (the bytes after it are the next range's).
        const remaining = Math.min(size, task.end ?? size) - position;
        const buffer = Buffer.allocUnsafe(remaining > 0 ? Math.min(chunkBytes, remaining) : probe);
        // Past the range's end a line may still be long: each further read is twice the last, up to a chunk.
        if (remaining <= 0) probe = Math.min(chunkBytes, probe * 2);
        let bytesRead: number;
        try {
          ({ bytesRead } = await handle.read(buffer, 0, buffer.length, position));
        } catch (e) {
          throw new InputError(`cannot read input file '${task.file}': ${(e as Error).message}`, task.file, undefined);
        }
        if (bytesRead === 0) break;
        position += bytesRead;
        this.push({ kind: 'data', bytes: bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead) });
      }
      if (!this.stopped) this.push({ kind: 'eof', task });
    } finally {
      this.current = undefined;
      await handle.close().catch(() => {});
    }
  }
}

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
