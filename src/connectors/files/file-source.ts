import { PlanError } from '../../core/errors.js';
import type { Source, SourceReader, SourceReaderContext } from '../../core/source.js';
import type { JsonProjection } from '../formats/json-projection.js';
import { type CsvFormatOptions, csvFormat } from './csv-line-parser.js';
import { FileSourceReader } from './file-source-reader.js';
import { DEFAULT_SPLIT_BYTES } from './file-splits.js';
import { jsonLinesFormat, type LineFormat, textFormat } from './line-format.js';

/** The line formats a {@link FileSource} reads. */
export type FileSourceFormat = 'text' | 'jsonl' | 'csv';

/** Options every format shares. */
export interface FileSourceCommonOptions {
  /** Name in plans, metrics and bad-record reports; default `file:<path>`. */
  readonly name?: string;
  /**
   * Keep watching a directory for new files, rescanning it every `intervalMs`. The source is then unbounded and
   * never ends. Each file is read once, when a scan first sees it, so writers must make a file appear complete:
   * write it under a name starting with '.' or '_' (which is ignored) or in another directory on the same file
   * system, then rename it into place.
   */
  readonly watch?: { readonly intervalMs: number };
  /**
   * A directory without input files (not watched) is an error naming it, as a missing path is: it is most often a
   * wrong path. `true` makes the source end at once instead, for a directory that may legitimately be empty (the
   * history of a HybridSource before anything was archived). Default false.
   */
  readonly allowEmpty?: boolean;
  /** Longest line accepted, in bytes without the line end; a longer line is a bad record. Default 16 MiB. */
  readonly maxLineBytes?: number;
  /** Size of one read; at most two chunks are buffered per reader. Default 1 MiB (small values are for tests). */
  readonly chunkBytes?: number;
  /**
   * Files larger than this are read in ranges of this many bytes, spread over the source's readers like files, so
   * that one large file is read and parsed by every subtask (text and JSON Lines; CSV files are read whole, as a
   * quoted field may hold line breaks). Each line is read by exactly one reader, wherever the boundaries fall.
   * Default 16 MiB. Checkpoints name the ranges: restore with the same value.
   */
  readonly splitBytes?: number;
}

/** Options of the `text` format. */
export interface FileSourceTextOptions<T> {
  /** Turns a line into the record; a throw makes the line a bad record. Default: the line itself. */
  readonly parse?: (line: string) => T;
}

/** Options of the `jsonl` format. */
export interface FileSourceJsonOptions<T> {
  /** Turns each parsed JSON value into the record; a throw makes the line a bad record (naming file and line). */
  readonly validate?: (value: unknown) => T;
  /**
   * Build only these fields of each line's JSON value (see {@link JsonProjection}): `validate` and the job then see
   * a new object holding exactly the named fields, in this order (`undefined` where a line lacks one), and each
   * line is decoded from its bytes by code compiled for the projection, skipping the rest of the line without
   * building it — several times faster than `JSON.parse` when lines hold more than a job reads. The values are
   * those `JSON.parse` gives, and a line that is not valid JSON is reported with the same error as without it.
   */
  readonly fields?: JsonProjection;
}

/**
 * All options of a {@link FileSource}; `parse` applies to `text` only, `validate` to `jsonl` only,
 * `columns`/`header`/`delimiter` to `csv` only.
 */
export interface FileSourceOptions<T>
  extends FileSourceCommonOptions,
    FileSourceTextOptions<T>,
    FileSourceJsonOptions<T>,
    CsvFormatOptions {
  /** Default 'text'. */
  readonly format?: FileSourceFormat;
}

const MIB = 1024 * 1024;

/**
 * Reads UTF-8 line-oriented files: one file, or every regular file directly in a directory (sorted by name; names
 * starting with '.' or '_' are skipped), optionally watching the directory for new files.
 *
 * Formats: `text` (each line a string, or `parse(line)`), `jsonl` (each non-blank line `JSON.parse`d, or only the
 * `fields` named decoded) and `csv`
 * (objects keyed by the header row or `columns`). Lines end with "\n" or "\r\n"; the last line needs no line end;
 * a UTF-8 byte order mark at the start of a file is dropped. Unparseable lines go to the reader context's
 * `reportBadRecord` with the file and 1-based line, so the runtime fails the job or dead-letters them.
 *
 * Parallelism: a bounded read lists its files, cuts those larger than `splitBytes` into byte ranges (text and
 * JSON Lines), and reader i of n reads the files and ranges at positions i, i + n, … of that list; in watch mode,
 * the files whose name hashes to i modulo n, whole. A range owns the lines that start in it, so every line is read
 * once. Each reader reads its share one file or range after another, asynchronously, at most two chunks ahead of
 * what it has emitted.
 *
 * State: `snapshotState()` gives the completed files and ranges and, for the one in progress, the byte offset and
 * line number after the last emitted record; `restoreState()` resumes exactly there, at any parallelism. Bad
 * records name the file and the line number in the whole file, also for a range.
 */
export class FileSource<T> implements Source<T> {
  readonly name: string;
  readonly boundedness: 'bounded' | 'unbounded';
  private readonly format: LineFormat<T>;
  private readonly maxLineBytes: number;
  private readonly chunkBytes: number;
  private readonly splitBytes: number;

  /** @throws PlanError for options that do not fit together or are out of range. */
  constructor(
    readonly path: string,
    private readonly options: FileSourceOptions<T> = {},
  ) {
    this.name = options.name ?? `file:${path}`;
    this.boundedness = options.watch === undefined ? 'bounded' : 'unbounded';
    this.format = makeFormat(options);
    this.maxLineBytes = positiveInteger(options.maxLineBytes ?? 16 * MIB, 'maxLineBytes');
    this.chunkBytes = positiveInteger(options.chunkBytes ?? MIB, 'chunkBytes');
    this.splitBytes = positiveInteger(options.splitBytes ?? DEFAULT_SPLIT_BYTES, 'splitBytes');
    if (options.watch !== undefined) positiveInteger(options.watch.intervalMs, 'watch.intervalMs');
  }

  createReader(ctx: SourceReaderContext): SourceReader<T> {
    return new FileSourceReader<T>(
      {
        sourceName: this.name,
        path: this.path,
        format: this.format,
        watchIntervalMs: this.options.watch?.intervalMs,
        allowEmpty: this.options.allowEmpty ?? false,
        maxLineBytes: this.maxLineBytes,
        chunkBytes: this.chunkBytes,
        splitBytes: this.splitBytes,
      },
      ctx,
    );
  }

  /** Lines as strings. */
  static text(path: string, options?: FileSourceCommonOptions): FileSource<string>;
  /** Lines turned into records by `options.parse`. */
  static text<T>(
    path: string,
    options: FileSourceCommonOptions & { readonly parse: (line: string) => T },
  ): FileSource<T>;
  static text<T>(path: string, options: FileSourceCommonOptions & FileSourceTextOptions<T> = {}): FileSource<T> {
    return new FileSource<T>(path, { ...options, format: 'text' });
  }

  /** JSON Lines: each non-blank line is one JSON value. `T` is trusted, not checked. */
  static jsonLines<T = unknown>(
    path: string,
    options: FileSourceCommonOptions & FileSourceJsonOptions<T> = {},
  ): FileSource<T> {
    return new FileSource<T>(path, { ...options, format: 'jsonl' });
  }

  /** CSV rows as objects of strings keyed by field name. `T` is trusted, not checked. */
  static csv<T = Record<string, string>>(
    path: string,
    options: FileSourceCommonOptions & CsvFormatOptions = {},
  ): FileSource<T> {
    return new FileSource<T>(path, { ...options, format: 'csv' });
  }
}

function makeFormat<T>(options: FileSourceOptions<T>): LineFormat<T> {
  const format = options.format ?? 'text';
  if (format !== 'text' && options.parse !== undefined)
    throw new PlanError(`'parse' applies to the text format only, not ${format}`);
  if (format !== 'jsonl' && (options.validate !== undefined || options.fields !== undefined))
    throw new PlanError(`'validate' and 'fields' apply to the jsonl format only, not ${format}`);
  if (
    format !== 'csv' &&
    (options.columns !== undefined || options.header !== undefined || options.delimiter !== undefined)
  ) {
    throw new PlanError(`'columns', 'header' and 'delimiter' apply to the csv format only, not ${format}`);
  }
  switch (format) {
    case 'text':
      return textFormat(options.parse);
    case 'jsonl':
      return jsonLinesFormat(options.validate, options.fields);
    case 'csv':
      return csvFormat(options);
    default:
      throw new PlanError(`unknown file format '${String(format)}' (expected text, jsonl or csv)`);
  }
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new PlanError(`${what} must be a positive integer, got ${value}`);
  return value;
}
