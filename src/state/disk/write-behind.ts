import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Control words shared with the writer thread (Int32 indices). */
const COMMITTED = 0;
const FAILED = 1;
const ERROR_LENGTH = 2;
const HEADER_BYTES = 16;
const ERROR_BYTES = 4096;
/** A value length that marks a deletion. */
const DELETE = 0xffffffff;
/** How long a wait may see no commit before the writer is declared stuck. */
const STALL_MS = 120_000;

/**
 * The writer thread: opens the same LMDB environment (lmdb-js shares one environment between the threads of a
 * process) and applies each batch in one write transaction, then publishes the batch's number. Plain CommonJS so that
 * it runs without the TypeScript loader.
 */
const WRITER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { open } = require(workerData.lmdb);
const ctrl = new Int32Array(workerData.control, 0, 4);
const errorText = new Uint8Array(workerData.control, ${HEADER_BYTES});
const db = open({ path: workerData.path, keyEncoding: 'binary', encoding: 'binary', noSync: true,
  noMetaSync: true, overlappingSync: false, maxReaders: 8 });
parentPort.on('message', (msg) => {
  if (msg === 'close') {
    Promise.resolve(db.close()).finally(() => process.exit(0));
    return;
  }
  if (Atomics.load(ctrl, ${FAILED}) !== 0) return;
  try {
    const buf = Buffer.from(msg.bytes);
    db.transactionSync(() => {
      let p = 0;
      while (p < buf.length) {
        const keyLength = buf.readUInt16LE(p);
        const valueLength = buf.readUInt32LE(p + 2);
        const key = buf.subarray(p + 6, p + 6 + keyLength);
        p += 6 + keyLength;
        if (valueLength === ${DELETE}) db.remove(key);
        else {
          db.put(key, buf.subarray(p, p + valueLength));
          p += valueLength;
        }
      }
    });
    Atomics.store(ctrl, ${COMMITTED}, msg.batch);
  } catch (err) {
    const text = Buffer.from(String((err && err.stack) || err)).subarray(0, ${ERROR_BYTES});
    errorText.set(text);
    Atomics.store(ctrl, ${ERROR_LENGTH}, text.length);
    Atomics.store(ctrl, ${FAILED}, 1);
  }
  Atomics.notify(ctrl, ${COMMITTED});
});
`;

/**
 * Write-behind for the disk backend: batches of store writes (puts and deletions, already encoded) applied by a
 * dedicated thread, each in one LMDB write transaction, so that the B-tree updates and commits (about 15 µs per
 * randomly placed entry) leave the processing thread.
 *
 * Contract: batches are committed in the order they were submitted; {@link committed} is the number of the last
 * committed batch (batches are numbered 1, 2, …); {@link waitFor} blocks the calling thread (Atomics.wait, no
 * Promise) until a batch is committed, so callers stay synchronous. A write that fails in the writer (e.g. the disk
 * is full) makes every later call throw with the writer's error. Readers of the store see a batch only after it is
 * committed and their own read transaction is renewed: until then the caller must serve those entries itself.
 */
export class WriteBehind {
  private readonly worker: Worker;
  private readonly control = new SharedArrayBuffer(HEADER_BYTES + ERROR_BYTES);
  private readonly ctrl = new Int32Array(this.control, 0, 4);
  private submitted = 0;
  private buf = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;
  private ops = 0;

  constructor(path: string) {
    const lmdb = createRequire(import.meta.url).resolve('lmdb');
    this.worker = new Worker(WRITER_SOURCE, { eval: true, workerData: { path, lmdb, control: this.control } });
    // A backend that is never disposed must not keep the process alive.
    this.worker.unref();
  }

  /** The number of the last committed batch (0: none yet). */
  get committed(): number {
    this.check();
    return Atomics.load(this.ctrl, COMMITTED);
  }

  /** The number of the last submitted batch. */
  get last(): number {
    return this.submitted;
  }

  /** Adds a put of `value` under `key` to the batch being built (both are copied). */
  put(key: Uint8Array, value: Uint8Array): void {
    this.reserve(6 + key.length + value.length);
    this.buf.writeUInt16LE(key.length, this.pos);
    this.buf.writeUInt32LE(value.length, this.pos + 2);
    this.buf.set(key, this.pos + 6);
    this.buf.set(value, this.pos + 6 + key.length);
    this.pos += 6 + key.length + value.length;
    this.ops++;
  }

  /** Adds a deletion of `key` to the batch being built. */
  remove(key: Uint8Array): void {
    this.reserve(6 + key.length);
    this.buf.writeUInt16LE(key.length, this.pos);
    this.buf.writeUInt32LE(DELETE, this.pos + 2);
    this.buf.set(key, this.pos + 6);
    this.pos += 6 + key.length;
    this.ops++;
  }

  /** Hands the batch built since the last submit to the writer; returns its number (the last one if it is empty). */
  submit(): number {
    if (this.ops === 0) return this.submitted;
    this.check();
    const bytes = new Uint8Array(this.pos);
    bytes.set(this.buf.subarray(0, this.pos));
    const batch = ++this.submitted;
    this.worker.postMessage({ batch, bytes: bytes.buffer }, [bytes.buffer]);
    this.pos = 0;
    this.ops = 0;
    return batch;
  }

  /** Blocks until batch `batch` (and every one before it) is committed. */
  waitFor(batch: number): void {
    let seen = this.committed;
    let since = Date.now();
    while (seen < batch) {
      Atomics.wait(this.ctrl, COMMITTED, seen, 1000);
      const now = this.committed;
      if (now !== seen) {
        seen = now;
        since = Date.now();
      } else if (Date.now() - since > STALL_MS) {
        throw new Error(
          `the disk state writer committed nothing for ${STALL_MS / 1000} s (waiting for batch ${batch})`,
        );
      }
    }
  }

  /** Ends the writer thread after the batches already submitted. */
  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Referenced again so that awaiting the exit keeps the event loop alive.
    this.worker.ref();
    this.worker.postMessage('close');
    await exited;
  }

  private check(): void {
    if (Atomics.load(this.ctrl, FAILED) === 0) return;
    const length = Atomics.load(this.ctrl, ERROR_LENGTH);
    const text = Buffer.from(new Uint8Array(this.control, HEADER_BYTES, length)).toString();
    throw new Error(`the disk state writer failed: ${text}`);
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}
