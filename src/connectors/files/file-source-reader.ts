import { closeSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { InputError, SluiceError } from '../../core/errors.js';
import type { InputProgress, PollResult, SourceOutput, SourceReader, SourceReaderContext } from '../../core/source.js';
import { ChunkPump, type FileTask } from './chunk-pump.js';
import { listInputFiles, resolveInputPath, stableHash } from './file-listing.js';
import {
  type FileProgress,
  type FileRange,
  type FileSourceState,
  mergeFileSourceStates,
  splitKey,
  toFileSourceState,
} from './file-source-state.js';
import { type FileSplit, keyOf, planSplits } from './file-splits.js';
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
  /** Files larger than this are read in ranges of this many bytes, by several readers (formats that allow it). */
  readonly splitBytes: number;
}

/** How much of an over-long line is kept for the bad-record report. */
const RAW_PREFIX_BYTES = 1024;
const NEWLINE = 0x0a;

/** The reader's position in the file (or range of a file) whose events it is consuming. */
interface Cursor {
  readonly task: FileTask;
  readonly file: string;
  /** The range being read, if the file is read in ranges; lines are then numbered from the range's first line. */
  readonly range: FileRange | undefined;
  /** Until the first line end: the bytes before the range's first line, which belong to the range before. */
  skipping: boolean;
  /** Set once the next line would start at or after the range's end: the rest of the file is dropped. */
  rangeDone: boolean;
  /** Number, in the whole file, of the range's first line; worked out when a bad record needs it. */
  firstLineNumber: number | undefined;
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
  /** Every input file of a bounded read with its size when listed, in name order (splits are made at the start). */
  private listed: { file: string; size: number }[] | undefined;
  /** Splits this reader owns, in reading order; grows in watch mode (whole files only). */
  private splits: FileSplit[] | undefined;
  private nextSplit = 0;
  /** Every file name (owned) already listed, so a rescan only adds new ones. Watch mode only. */
  private readonly seen = new Set<string>();
  /** Owned splits fully emitted, by {@link keyOf}. */
  private readonly completed = new Set<string>();
  /** Restored positions of splits not yet opened by the consumer, by {@link keyOf}. */
  private readonly resume = new Map<string, FileProgress>();
  /** The merged restored state, until the splits are made. */
  private restoredState: FileSourceState | undefined;
  private restored = false;
  private started = false;
  private closed = false;
  private cursor: Cursor | undefined;
  /** Position inside the 'data' event at the head of the pump's queue. */
  private dataPos = 0;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wakeSleep: (() => void) | undefined;

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
      this.listed = await withSizes([path]);
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
      if (watchIntervalMs === undefined) this.listed = await withSizes(listed);
      else this.splits = this.claimNew(listed).map(wholeFile);
    }
  }

  /** Bytes of the owned files read so far (completed files whole, the current one up to its read position). */
  inputProgress(): InputProgress | undefined {
    if (this.listed === undefined || this.splits === undefined) return undefined;
    let totalBytes = 0;
    let readBytes = 0;
    const c = this.cursor;
    for (const split of this.splits) {
      totalBytes += split.bytes;
      if (this.completed.has(keyOf(split))) readBytes += split.bytes;
      else if (c?.file === split.file && c.range?.start === split.range?.start) {
        readBytes += Math.max(0, Math.min(split.bytes, c.readOffset - (split.range?.start ?? 0)));
      }
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
    // A range still skipping to its first line has emitted nothing: it starts again from its beginning.
    if (c !== undefined && !c.skipping) {
      const format = c.parser.resumeState();
      const at = { file: c.file, offset: c.committedOffset, line: c.committedLine };
      const base = c.range === undefined ? at : { ...at, start: c.range.start, end: c.range.end };
      inProgress.push(format === undefined ? base : { ...base, format });
    }
    for (const progress of this.resume.values()) inProgress.push(progress);
    const completed: string[] = [];
    const completedRanges: FileRange[] = [];
    const ranges = new Map<string, FileRange>();
    for (const split of this.splits ?? []) if (split.range !== undefined) ranges.set(keyOf(split), split.range);
    for (const key of this.completed) {
      const range = ranges.get(key);
      if (range === undefined) completed.push(key);
      else completedRanges.push(range);
    }
    return completedRanges.length === 0 ? { completed, inProgress } : { completed, inProgress, completedRanges };
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
    for (const r of valid.completedRanges ?? []) this.completed.add(splitKey(r.file, r.start));
    for (const progress of valid.inProgress) {
      const key = splitKey(progress.file, progress.start);
      if (!this.completed.has(key)) this.resume.set(key, progress);
    }
    this.restoredState = valid;
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
    if (this.listed === undefined && this.splits === undefined) {
      throw new SluiceError(`${this.config.sourceName}: open() must come before polling`);
    }
    this.started = true;
    if (this.listed !== undefined) {
      // Made here rather than in open(): a restored state decides which files stay whole.
      const all = planSplits(
        this.listed,
        this.config.splitBytes,
        this.config.format.splittable,
        this.restoredState,
        this.config.sourceName,
      );
      this.splits = all.filter((_, i) => this.ownsIndex(i));
      this.restoredState = undefined;
    }
    if (this.restored) this.dropForeignRestoredEntries();
    this.pump.start();
  }

  /** A restored state may cover other readers' files (after a merge); keep only ours so snapshots stay ours. */
  private dropForeignRestoredEntries(): void {
    const watching = this.config.watchIntervalMs !== undefined;
    const owned = new Set(this.splits!.map(keyOf));
    const owns = (key: string) => (watching ? this.ownsName(key) : owned.has(key));
    for (const key of this.completed) if (!owns(key)) this.completed.delete(key);
    for (const key of this.resume.keys()) if (!owns(key)) this.resume.delete(key);
    // In watch mode a completed file counts as seen even if it was moved away, so it is never read twice.
    if (watching) for (const file of this.completed) this.seen.add(file);
  }

  /**
   * Bounded reads: reader i of n takes the splits at positions i, i + n, i + 2n, … of the list (files in name
   * order, a file read in ranges contributing its ranges in order).
   */
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
    const splits = this.splits!;
    for (;;) {
      while (this.nextSplit < splits.length) {
        const split = splits[this.nextSplit++]!;
        const key = keyOf(split);
        if (this.completed.has(key)) continue;
        const range = split.range;
        if (range === undefined) return { file: split.file, offset: this.resume.get(key)?.offset ?? 0 };
        const offset = this.resume.get(key)?.offset ?? range.start;
        if (offset >= range.end) {
          // Its last line was emitted before the snapshot, which came before the range's end was read.
          this.resume.delete(key);
          this.completed.add(key);
          continue;
        }
        // Read from one byte early: whether that byte ends a line says whether a line starts at the range's start.
        const readFrom = offset === range.start && offset > 0 ? offset - 1 : offset;
        return { file: split.file, offset, readFrom, start: range.start, end: range.end };
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
        if (!this.completed.has(file)) splits.push(wholeFile(file));
      }
    }
  }

  private beginFile(task: FileTask): void {
    const key = splitKey(task.file, task.start);
    const progress = this.resume.get(key);
    this.resume.delete(key);
    const resumed = progress !== undefined && task.offset > (task.start ?? 0);
    const line = resumed ? progress.line : 1;
    const skipping = task.readFrom !== undefined && task.readFrom < task.offset;
    this.cursor = {
      task,
      file: task.file,
      range: task.start === undefined ? undefined : { file: task.file, start: task.start, end: task.end! },
      skipping,
      rangeDone: false,
      firstLineNumber: task.start === undefined || task.start === 0 ? 1 : undefined,
      parser: this.config.format.forFile(resumed ? progress.format : undefined),
      readOffset: task.readFrom ?? task.offset,
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
    if (c.rangeDone) {
      // Read ahead past the range's last line before the pump stopped: another reader's lines.
      this.pump.shift();
      this.dataPos = 0;
      return 0;
    }
    if (c.skipping && !this.skipToFirstLine(c, bytes)) return 0;
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
      // The next line starts past the range: this is its last line, and the rest of the file is not ours.
      if (c.range !== undefined && c.readOffset >= c.range.end) this.endRange(c);
      emitted += this.completeLine(c, bytes, start, newline, out);
      if (this.dataPos === 0 || c.rangeDone) return emitted;
    }
    return emitted;
  }

  /**
   * Drops the bytes before a range's first line: up to and including the first line end (reading started one byte
   * before the range, so a line starting exactly at the range's start is kept). False when the chunk ran out first.
   */
  private skipToFirstLine(c: Cursor, bytes: Buffer): boolean {
    const newline = bytes.indexOf(NEWLINE, this.dataPos);
    if (newline < 0) {
      c.readOffset += bytes.length - this.dataPos;
      this.pump.shift();
      this.dataPos = 0;
      return false;
    }
    c.readOffset += newline + 1 - this.dataPos;
    c.skipping = false;
    c.atFileStart = false;
    c.committedOffset = c.readOffset;
    if (newline + 1 === bytes.length) {
      this.pump.shift();
      this.dataPos = 0;
    } else this.dataPos = newline + 1;
    if (c.readOffset >= c.range!.end) this.endRange(c);
    return this.dataPos !== 0 && !c.rangeDone;
  }

  /** The range has no further lines: stop reading its file (its 'eof' then completes it). */
  private endRange(c: Cursor): void {
    c.rangeDone = true;
    this.pump.abandon(c.task);
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
      this.completed.add(splitKey(c.file, c.range?.start));
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
    const c = this.cursor;
    const inFile = c?.range === undefined ? line : this.firstLineNumber(c) + line - 1;
    this.ctx.reportBadRecord({ source: this.config.sourceName, file, line: inFile, reason, raw });
  }

  /**
   * The number, in the whole file, of the first line of the range being read: one more than the line ends before
   * it. Counted only when a bad record is reported (reading the file up to the range), then kept.
   */
  private firstLineNumber(c: Cursor): number {
    if (c.firstLineNumber !== undefined) return c.firstLineNumber;
    // The first line starts after the first line end at or after start - 1: that one, plus those before it.
    const before = countLineEnds(c.file, c.range!.start - 1);
    c.firstLineNumber = before + 2;
    return c.firstLineNumber;
  }
}

const EMPTY = Buffer.alloc(0);

function wholeFile(file: string): FileSplit {
  return { file, range: undefined, bytes: 0 };
}

/** Stats in flight at once when listing sizes: every reader lists every file, so a directory of many is common. */
const STAT_CONCURRENCY = 64;

/** The listed files with their sizes; a file that vanishes before it is read fails the read later, with its name. */
async function withSizes(files: readonly string[]): Promise<{ file: string; size: number }[]> {
  const out: { file: string; size: number }[] = [];
  for (let i = 0; i < files.length; i += STAT_CONCURRENCY) {
    const batch = files.slice(i, i + STAT_CONCURRENCY);
    const sizes = await Promise.all(
      batch.map((file) =>
        stat(file).then(
          (s) => s.size,
          () => 0,
        ),
      ),
    );
    batch.forEach((file, k) => out.push({ file, size: sizes[k]! }));
  }
  return out;
}

/** Line ends in the first `bytes` bytes of `file` (synchronous: only for the rare bad-record report). */
function countLineEnds(file: string, bytes: number): number {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let count = 0;
    for (let pos = 0; pos < bytes; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, bytes - pos), pos);
      if (n === 0) break;
      // Only the bytes just read: the rest of the buffer still holds the previous read's.
      const read = buf.subarray(0, n);
      for (let i = read.indexOf(NEWLINE); i >= 0; i = read.indexOf(NEWLINE, i + 1)) count++;
      pos += n;
    }
    return count;
  } finally {
    closeSync(fd);
  }
}

/** Bounds the raw text attached to a bad-record report. */
function truncate(text: string): string {
  return text.length <= RAW_PREFIX_BYTES ? text : `${text.slice(0, RAW_PREFIX_BYTES)}…`;
}
