import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { InputError, SluiceError } from '../../core/errors.js';
import type { InputProgress, PollResult, SourceOutput, SourceReader, SourceReaderContext } from '../../core/source.js';
import { ChunkPump, type FileTask } from './chunk-pump.js';
import { listInputFiles, resolveInputPath, stableHash } from './file-listing.js';
import {
  type FileProgress,
  type FileSourceState,
  mergeFileSourceStates,
  toFileSourceState,
} from './file-source-state.js';
import { BadLine, INCOMPLETE, type LineFormat, type LineParser, SKIP } from './line-format.js';

/** Everything a {@link FileSourceReader} needs from its source. */
export interface FileReaderConfig<T> {
  /** Source name put into bad-record reports. */
  readonly sourceName: string;
  /** The file or directory to read. */
  readonly path: string;
  readonly format: LineFormat<T>;
  /** Rescan period in watch mode; undefined for a bounded read. */
  readonly watchIntervalMs: number | undefined;
  /** A bounded read of a directory without input files ends at once instead of failing. */
  readonly allowEmpty: boolean;
  /** Longest line, in bytes without its line end, before it becomes a bad record. */
  readonly maxLineBytes: number;
  /** Size of one read. */
  readonly chunkBytes: number;
}

/** How much of an over-long line is kept for the bad-record report. */
const RAW_PREFIX_BYTES = 1024;
const NEWLINE = 0x0a;

/** The reader's position in the file whose events it is consuming. */
interface Cursor {
  readonly file: string;
  readonly parser: LineParser<unknown>;
  /** File offset of the next byte to consume. */
  readOffset: number;
  /** Number of the line being assembled (1-based). */
  line: number;
  /** True until the first line is complete, when the file was opened at offset 0: where a BOM may be. */
  atFileStart: boolean;
  /** Position after the last line fully handled (emitted, skipped or reported): what a snapshot stores. */
  committedOffset: number;
  committedLine: number;
  /** Bytes of the current line that arrived in earlier chunks (subarrays of them, not copies). */
  parts: Buffer[];
  partsBytes: number;
  /** Set once the current line exceeds the limit: its bytes are counted and dropped from then on. */
  overlongBytes: number;
  overlongPrefix: Buffer | undefined;
  /** First line and byte count of a record spanning lines (CSV quoted line breaks); 0 when there is none. */
  recordLine: number;
  recordBytes: number;
}

/**
 * Reads its share of a file source's files. See `FileSource` for the contract; the mechanics are: a
 * {@link ChunkPump} reads files asynchronously into a small queue, `pollNext` splits the queued bytes into lines
 * synchronously and parses only as many as it may emit. Lines are split on the byte 0x0A before decoding, which
 * can never fall inside a multi-byte UTF-8 sequence, so each line is decoded whole no matter where chunks end.
 */
export class FileSourceReader<T> implements SourceReader<T> {
  private readonly pump: ChunkPump;
  /** Files this reader owns, in reading order; grows in watch mode. */
  private files: string[] | undefined;
  private nextFile = 0;
  /** Every file name (owned) already listed, so a rescan only adds new ones. Watch mode only. */
  private readonly seen = new Set<string>();
  /** Owned files fully emitted. */
  private readonly completed = new Set<string>();
  /** Restored positions of files not yet opened by the consumer. */
  private readonly resume = new Map<string, FileProgress>();
  private restored = false;
  private started = false;
  private closed = false;
  private cursor: Cursor | undefined;
  /** Position inside the 'data' event at the head of the pump's queue. */
  private dataPos = 0;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wakeSleep: (() => void) | undefined;
  /** Sizes of the owned files when the reader opened (bounded reads only): the total of progress reports. */
  private sizes: Map<string, number> | undefined;

  constructor(
    private readonly config: FileReaderConfig<T>,
    private readonly ctx: SourceReaderContext,
  ) {
    this.pump = new ChunkPump({
      chunkBytes: config.chunkBytes,
      nextTask: () => this.nextTask(),
      skipMissing: config.watchIntervalMs !== undefined,
    });
  }

  /**
   * Lists the input and picks this reader's files.
   *
   * @throws InputError when the path is missing, is a single file in watch mode, or is a directory without input
   *   files when not watched (unless `allowEmpty`).
   */
  async open(): Promise<void> {
    const { path, watchIntervalMs } = this.config;
    const input = await resolveInputPath(path);
    if (input.kind === 'file') {
      if (watchIntervalMs !== undefined) {
        throw new InputError(`watch mode needs a directory, but '${path}' is a file`, path, undefined);
      }
      // A single file cannot be split: reader 0 reads it, the others end at once.
      this.files = this.ctx.subtaskIndex === 0 ? [path] : [];
    } else {
      const listed = await listInputFiles(path);
      if (listed.length === 0 && watchIntervalMs === undefined && !this.config.allowEmpty) {
        // Most likely a wrong path or a pattern that matched nothing: an empty result would look like success.
        throw new InputError(
          `input directory '${path}' has no files to read (names starting with '.' or '_' are skipped; FileSource option allowEmpty accepts this)`,
          path,
          undefined,
        );
      }
      this.files = watchIntervalMs === undefined ? listed.filter((_, i) => this.ownsIndex(i)) : this.claimNew(listed);
    }
    if (watchIntervalMs === undefined) {
      // A file that vanishes before it is read fails the read later, with its name; here it just counts 0 bytes.
      this.sizes = new Map();
      for (const file of this.files)
        this.sizes.set(
          file,
          await stat(file).then(
            (s) => s.size,
            () => 0,
          ),
        );
    }
  }

  /** Bytes of the owned files read so far (completed files whole, the current one up to its read position). */
  inputProgress(): InputProgress | undefined {
    if (this.sizes === undefined) return undefined;
    let totalBytes = 0;
    let readBytes = 0;
    for (const [file, size] of this.sizes) {
      totalBytes += size;
      if (this.completed.has(file)) readBytes += size;
      else if (this.cursor?.file === file) readBytes += Math.min(size, this.cursor.readOffset);
    }
    return { readBytes, totalBytes };
  }

  /**
   * Emits up to `max` records from what is already buffered, without waiting. 'wait' when the buffer ran dry (the
   * next read is in flight, or a watched directory has nothing new); 'end' once every owned file is emitted.
   *
   * @throws the InputError that stopped the background reads (e.g. a file that became unreadable), or whatever
   *   `reportBadRecord` throws.
   */
  pollNext(out: SourceOutput<T>, max: number): PollResult {
    this.start();
    let emitted = 0;
    while (emitted < max) {
      const event = this.pump.peek();
      if (event === undefined) break;
      if (event.kind === 'data') {
        emitted += this.consumeData(event.bytes, out, max - emitted);
      } else if (event.kind === 'open') {
        this.pump.shift();
        this.beginFile(event.task);
      } else {
        this.pump.shift();
        emitted += this.endFile(out);
      }
    }
    if (emitted >= max) return 'more';
    return this.pump.exhausted ? 'end' : 'wait';
  }

  /** Resolves once more bytes are buffered, the reads ended or failed, or the reader is closed. */
  available(): Promise<void> {
    this.start();
    return this.pump.whenReady();
  }

  /** The position after the last record emitted; see {@link FileSourceState}. */
  snapshotState(): FileSourceState {
    const inProgress: FileProgress[] = [];
    const c = this.cursor;
    if (c !== undefined) {
      const format = c.parser.resumeState();
      const base = { file: c.file, offset: c.committedOffset, line: c.committedLine };
      inProgress.push(format === undefined ? base : { ...base, format });
    }
    for (const progress of this.resume.values()) inProgress.push(progress);
    return { completed: [...this.completed], inProgress };
  }

  /**
   * Resumes from the {@link snapshotState} results of every reader of the previous run (merged here, so the
   * parallelism may have changed). Entries for files this reader does not own are ignored.
   *
   * @throws SluiceError when called after reading started or when a state is malformed.
   */
  restoreState(states: readonly unknown[]): void {
    if (this.started) throw new SluiceError(`${this.config.sourceName}: restoreState must come before the first poll`);
    const valid = mergeFileSourceStates(states.map((s) => toFileSourceState(s)));
    this.completed.clear();
    this.resume.clear();
    for (const file of valid.completed) this.completed.add(file);
    for (const progress of valid.inProgress)
      if (!this.completed.has(progress.file)) this.resume.set(progress.file, progress);
    this.restored = true;
  }

  /** Stops reading (and watching) and closes the open file. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.sleepTimer);
    this.wakeSleep?.();
    await this.pump.stop();
  }

  private start(): void {
    if (this.started) return;
    if (this.files === undefined) throw new SluiceError(`${this.config.sourceName}: open() must come before polling`);
    this.started = true;
    if (this.restored) this.dropForeignRestoredEntries();
    this.pump.start();
  }

  /** A restored state may cover other readers' files (after a merge); keep only ours so snapshots stay ours. */
  private dropForeignRestoredEntries(): void {
    const watching = this.config.watchIntervalMs !== undefined;
    const owned = new Set(this.files);
    const owns = (file: string) => (watching ? this.ownsName(file) : owned.has(file));
    for (const file of this.completed) if (!owns(file)) this.completed.delete(file);
    for (const file of this.resume.keys()) if (!owns(file)) this.resume.delete(file);
    // In watch mode a completed file counts as seen even if it was moved away, so it is never read twice.
    if (watching) for (const file of this.completed) this.seen.add(file);
  }

  /** Bounded split: reader i of n takes the files at sorted positions i, i + n, i + 2n, … */
  private ownsIndex(index: number): boolean {
    return index % this.ctx.parallelism === this.ctx.subtaskIndex;
  }

  /**
   * Watch-mode split: positions in the sorted list shift as files arrive, so ownership is decided by a hash of the
   * file name instead, which never changes.
   */
  private ownsName(file: string): boolean {
    return stableHash(basename(file)) % this.ctx.parallelism === this.ctx.subtaskIndex;
  }

  /** The owned files of a listing not seen before, in listing (name) order, now marked seen. */
  private claimNew(listed: readonly string[]): string[] {
    const fresh: string[] = [];
    for (const file of listed) {
      if (this.seen.has(file) || !this.ownsName(file)) continue;
      this.seen.add(file);
      fresh.push(file);
    }
    return fresh;
  }

  /** Called by the pump for the next file to read; in watch mode waits for one to appear. */
  private async nextTask(): Promise<FileTask | undefined> {
    const files = this.files!;
    for (;;) {
      while (this.nextFile < files.length) {
        const file = files[this.nextFile++]!;
        if (this.completed.has(file)) continue;
        return { file, offset: this.resume.get(file)?.offset ?? 0 };
      }
      const interval = this.config.watchIntervalMs;
      if (interval === undefined || this.closed) return undefined;
      await new Promise<void>((resolve) => {
        this.wakeSleep = resolve;
        this.sleepTimer = setTimeout(resolve, interval);
      });
      this.wakeSleep = undefined;
      if (this.closed) return undefined;
      // Files are only ever added at the end, in the order they were first seen, so earlier positions stay valid.
      for (const file of this.claimNew(await listInputFiles(this.config.path))) {
        if (!this.completed.has(file)) files.push(file);
      }
    }
  }

  private beginFile(task: FileTask): void {
    const progress = this.resume.get(task.file);
    this.resume.delete(task.file);
    const line = task.offset > 0 && progress !== undefined ? progress.line : 1;
    this.cursor = {
      file: task.file,
      parser: this.config.format.forFile(task.offset > 0 ? progress?.format : undefined),
      readOffset: task.offset,
      line,
      atFileStart: task.offset === 0,
      committedOffset: task.offset,
      committedLine: line,
      parts: [],
      partsBytes: 0,
      overlongBytes: 0,
      overlongPrefix: undefined,
      recordLine: 0,
      recordBytes: 0,
    };
    this.dataPos = 0;
  }

  /** Consumes lines from the queued chunk `bytes` until `budget` records are emitted or the chunk is used up. */
  private consumeData(bytes: Buffer, out: SourceOutput<T>, budget: number): number {
    const c = this.cursor!;
    let emitted = 0;
    while (emitted < budget) {
      const start = this.dataPos;
      const newline = bytes.indexOf(NEWLINE, start);
      if (newline < 0) {
        this.appendPartial(c, bytes, start);
        this.pump.shift();
        this.dataPos = 0;
        return emitted;
      }
      // Advance every position before handling the line: emitting or reporting may throw, and a later poll must
      // not see the same line again.
      c.readOffset += newline + 1 - start;
      if (newline + 1 === bytes.length) {
        this.pump.shift();
        this.dataPos = 0;
      } else this.dataPos = newline + 1;
      emitted += this.completeLine(c, bytes, start, newline, out);
      if (this.dataPos === 0) return emitted;
    }
    return emitted;
  }

  /** Keeps the tail of a chunk that holds no line end, or just counts it once the line is too long. */
  private appendPartial(c: Cursor, bytes: Buffer, start: number): void {
    const length = bytes.length - start;
    c.readOffset += length;
    if (length === 0) return;
    if (c.overlongBytes > 0) {
      c.overlongBytes += length;
      return;
    }
    c.parts.push(bytes.subarray(start));
    c.partsBytes += length;
    // +1: the line may still turn out to end in "\r\n", and the '\r' does not count.
    if (c.partsBytes > this.config.maxLineBytes + 1) {
      const all = Buffer.concat(c.parts, c.partsBytes);
      c.overlongPrefix = Buffer.from(all.subarray(0, RAW_PREFIX_BYTES));
      c.overlongBytes = c.partsBytes;
      c.parts = [];
      c.partsBytes = 0;
    }
  }

  /** Handles the line made of the kept parts plus `bytes[start, end)`; returns the number of records emitted. */
  private completeLine(c: Cursor, bytes: Buffer, start: number, end: number, out: SourceOutput<T>): number {
    const lineNo = c.line++;
    if (c.overlongBytes > 0) {
      const length = c.overlongBytes + (end - start);
      const prefix = c.overlongPrefix!;
      c.overlongBytes = 0;
      c.overlongPrefix = undefined;
      c.atFileStart = false;
      return this.handleOverlong(c, lineNo, length, prefix);
    }
    let buf = bytes;
    let from = start;
    let to = end;
    if (c.partsBytes > 0) {
      c.parts.push(bytes.subarray(start, end));
      buf = Buffer.concat(c.parts, c.partsBytes + (end - start));
      from = 0;
      to = buf.length;
      c.parts = [];
      c.partsBytes = 0;
    }
    if (to > from && buf[to - 1] === 0x0d) to--;
    // The limit counts the bytes of a BOM, as it always has.
    const length = to - from;
    if (c.atFileStart) {
      c.atFileStart = false;
      if (length >= 3 && buf[from] === 0xef && buf[from + 1] === 0xbb && buf[from + 2] === 0xbf) from += 3;
    }
    if (length > this.config.maxLineBytes) {
      const text = buf.toString('utf8', from, to);
      return this.handleOverlong(c, lineNo, length, Buffer.from(text.slice(0, RAW_PREFIX_BYTES)));
    }
    return this.handleLine(c, lineNo, buf, from, to, length, out);
  }

  /** Handles the line `buf[from, to)` (line end and BOM removed; `length` counts the BOM). */
  private handleLine(
    c: Cursor,
    lineNo: number,
    buf: Buffer,
    from: number,
    to: number,
    length: number,
    out: SourceOutput<T>,
  ): number {
    const parser = c.parser;
    let text: string | undefined;
    let result: unknown;
    if (parser.parseBytes !== undefined) result = parser.parseBytes(buf, from, to);
    else {
      text = buf.toString('utf8', from, to);
      result = parser.parseLine(text);
    }
    if (result === INCOMPLETE) {
      if (c.recordLine === 0) c.recordLine = lineNo;
      c.recordBytes += length + 1;
      if (c.recordBytes > this.config.maxLineBytes) {
        const firstLine = c.recordLine;
        const raw = c.parser.abandon();
        this.commit(c);
        this.report(
          c.file,
          firstLine,
          `record spanning lines ${firstLine}-${lineNo} is longer than the limit of ${this.config.maxLineBytes} bytes`,
          truncate(raw),
        );
      }
      return 0;
    }
    const recordLine = c.recordLine === 0 ? lineNo : c.recordLine;
    this.commit(c);
    if (result === SKIP) return 0;
    if (result instanceof BadLine) {
      this.report(c.file, recordLine, result.reason, result.raw ?? text ?? buf.toString('utf8', from, to));
      return 0;
    }
    out.collect(result as T);
    return 1;
  }

  private handleOverlong(c: Cursor, lineNo: number, length: number, prefix: Buffer): number {
    // A line that long is not parsed at all; the record it may have continued is dropped with it.
    if (c.recordLine !== 0) c.parser.abandon();
    const firstLine = c.recordLine === 0 ? lineNo : c.recordLine;
    this.commit(c);
    this.report(
      c.file,
      firstLine,
      `line is ${length} bytes long, over the limit of ${this.config.maxLineBytes} bytes`,
      `${prefix.toString('utf8')}…`,
    );
    return 0;
  }

  /** Ends the current file: a last line without a line end is still a line. */
  private endFile(out: SourceOutput<T>): number {
    const c = this.cursor!;
    let emitted = 0;
    try {
      if (c.partsBytes > 0 || c.overlongBytes > 0) emitted = this.completeLine(c, EMPTY, 0, 0, out);
      if (c.recordLine !== 0) {
        const firstLine = c.recordLine;
        const bad = c.parser.endOfFile();
        this.commit(c);
        this.report(c.file, firstLine, bad.reason, truncate(bad.raw ?? ''));
      }
    } finally {
      // The 'eof' event is already consumed: even when a report throws, the file must not stay half open.
      this.completed.add(c.file);
      this.cursor = undefined;
    }
    return emitted;
  }

  private commit(c: Cursor): void {
    c.committedOffset = c.readOffset;
    c.committedLine = c.line;
    c.recordLine = 0;
    c.recordBytes = 0;
  }

  private report(file: string, line: number, reason: string, raw: string): void {
    this.ctx.reportBadRecord({ source: this.config.sourceName, file, line, reason, raw });
  }
}

const EMPTY = Buffer.alloc(0);

/** Bounds the raw text attached to a bad-record report. */
function truncate(text: string): string {
  return text.length <= RAW_PREFIX_BYTES ? text : `${text.slice(0, RAW_PREFIX_BYTES)}…`;
}
