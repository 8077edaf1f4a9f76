import { PlanError } from '../../core/errors.js';
import type { Sink, SinkWriter, SinkWriterContext } from '../../core/sink.js';
import { BufferedFileWriter } from './buffered-file-writer.js';
import { CsvRecordFormatter } from './csv-writer.js';
import { PartFileWriter } from './part-file-writer.js';

/** The line formats a {@link FileSink} writes. */
export type FileSinkFormat = 'text' | 'jsonl' | 'csv';

/** Options of a {@link FileSink}. */
export interface FileSinkOptions<T> {
  /**
   * 'text': `String(value)` per line; a function: text with `format(value)` per line; 'jsonl': `JSON.stringify`
   * per line (a value JSON cannot represent, like `undefined`, becomes `null`); 'csv': see `columns`. Default 'text'.
   * Text lines are written as given: a value containing a line break spans several lines.
   */
  readonly format?: FileSinkFormat | ((value: T) => string);
  /** CSV only: field order and header. Default: the keys of the first record. */
  readonly columns?: readonly string[];
  /** CSV only: one character, default ','. */
  readonly delimiter?: string;
  /** Name in plans and metrics; default `file:<path>`. */
  readonly name?: string;
}

/**
 * Writes all records to one UTF-8 file, one line each ("\n" line ends), in the order received; hence parallelism 1.
 * When the job runs with checkpoints (exactly-once), `path` is instead a directory of part files that become
 * visible only when the checkpoint covering them completes (see PartFileWriter); a run from the beginning replaces
 * the part files of earlier runs there and leaves files of other names alone.
 * Opening creates missing parent directories and truncates the file. Writes are buffered and asynchronous with a
 * few MiB at most in memory; `flush()` (at the end of input) and `close()` write everything and fsync, so the file
 * is complete and durable once the job has finished.
 */
export class FileSink<T> implements Sink<T> {
  readonly name: string;
  readonly requiredParallelism = 1;

  /** @throws PlanError for options that do not fit together. */
  constructor(
    readonly path: string,
    private readonly options: FileSinkOptions<T> = {},
  ) {
    this.name = options.name ?? `file:${path}`;
    const format = options.format ?? 'text';
    if (format !== 'csv' && (options.columns !== undefined || options.delimiter !== undefined)) {
      throw new PlanError(`'columns' and 'delimiter' apply to the csv format only`);
    }
    const delimiter = options.delimiter ?? ',';
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new PlanError(
        `CSV delimiter must be one character other than '"' and a line break, got ${JSON.stringify(delimiter)}`,
      );
    }
    if (typeof format !== 'function' && format !== 'text' && format !== 'jsonl' && format !== 'csv') {
      throw new PlanError(`unknown file format '${String(format)}' (expected text, jsonl, csv or a function)`);
    }
  }

  /** @throws PlanError when asked for more than one writer: lines from several writers cannot share one file. */
  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    if (ctx.parallelism !== 1) {
      throw new PlanError(`${this.name} writes a single file and needs parallelism 1, got ${ctx.parallelism}`);
    }
    if (ctx.exactlyOnce) {
      // With checkpoints the path is a directory of part files published when checkpoints complete.
      return new PartFileWriter<T>(this.path, ctx.subtaskIndex, this.extension(), this.lineFormatter());
    }
    return new FileSinkWriter<T>(new BufferedFileWriter(this.path), this.lineFormatter());
  }

  private extension(): string {
    const format = this.options.format ?? 'text';
    return format === 'jsonl' ? '.jsonl' : format === 'csv' ? '.csv' : '.txt';
  }

  /** Lines as `String(value)`, or `options.format(value)`. */
  static text<T>(
    path: string,
    options: { readonly format?: (value: T) => string; readonly name?: string } = {},
  ): FileSink<T> {
    return new FileSink<T>(path, { ...options, format: options.format ?? 'text' });
  }

  /** JSON Lines: one `JSON.stringify(value)` per line. */
  static jsonLines<T>(path: string, options: { readonly name?: string } = {}): FileSink<T> {
    return new FileSink<T>(path, { ...options, format: 'jsonl' });
  }

  /** CSV with a header row: from `columns`, else from the first record's keys. */
  static csv<T>(
    path: string,
    options: { readonly columns?: readonly string[]; readonly delimiter?: string; readonly name?: string } = {},
  ): FileSink<T> {
    return new FileSink<T>(path, { ...options, format: 'csv' });
  }

  /** A fresh formatter per writer: the CSV one remembers whether the header was written. */
  private lineFormatter(): LineFormatter<T> {
    const format = this.options.format ?? 'text';
    if (typeof format === 'function') {
      return { initial: () => '', format: (v) => `${format(v)}\n` };
    }
    switch (format) {
      case 'text':
        return { initial: () => '', format: (v) => `${String(v)}\n` };
      case 'jsonl':
        return { initial: () => '', format: (v) => `${JSON.stringify(v) ?? 'null'}\n` };
      case 'csv': {
        const csv = new CsvRecordFormatter(this.options.columns, this.options.delimiter ?? ',');
        return { initial: () => csv.initialHeader(), format: (v) => csv.format(v) };
      }
    }
  }
}

/** Turns records into lines (each with its line end). */
interface LineFormatter<T> {
  /** Text written once when the file is opened (a known CSV header). */
  initial(): string;
  format(value: T): string;
}

class FileSinkWriter<T> implements SinkWriter<T> {
  constructor(
    private readonly out: BufferedFileWriter,
    private readonly formatter: LineFormatter<T>,
  ) {}

  async open(): Promise<void> {
    await this.out.open();
    await this.out.append(this.formatter.initial());
  }

  write(values: readonly T[]): void | Promise<void> {
    // One string per batch keeps the writer's bookkeeping per batch, not per record.
    let text = '';
    for (const value of values) text += this.formatter.format(value);
    return this.out.append(text);
  }

  flush(): Promise<void> {
    return this.out.flush();
  }

  close(): Promise<void> {
    return this.out.close();
  }
}
