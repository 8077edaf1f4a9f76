import { parse as parseCsv } from 'csv-parse/sync';
import { PlanError, SluiceError } from '../../core/errors.js';
import {
  BadLine,
  type FormatResumeState,
  INCOMPLETE,
  type LineFormat,
  type LineOutcome,
  type LineParser,
  SKIP,
} from './line-format.js';

/** Options of the CSV format (RFC 4180: fields separated by `delimiter`, optionally quoted with `"`). */
export interface CsvFormatOptions {
  /**
   * Field names. When given, every row is data unless `header` is true (then each file's first row is skipped).
   * When omitted, each file's first row names the fields.
   */
  readonly columns?: readonly string[];
  /** Whether each file starts with a header row. Default: true when `columns` is omitted, false otherwise. */
  readonly header?: boolean;
  /** A single character; default ','. */
  readonly delimiter?: string;
}

/**
 * CSV records as objects keyed by field name, every value a string. A row whose field count differs from the
 * header's, or whose quoting is invalid, is a bad record. Empty lines are skipped. A quoted field may contain line
 * breaks; they come back as '\n' whatever the file used, and the record is reported at the line where it starts.
 *
 * @throws PlanError for an invalid delimiter or for `header: false` without `columns`.
 */
export function csvFormat<T>(options: CsvFormatOptions = {}): LineFormat<T> {
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new PlanError(
      `CSV delimiter must be one character other than '"' and a line break, got ${JSON.stringify(delimiter)}`,
    );
  }
  const header = options.header ?? options.columns === undefined;
  if (!header && options.columns === undefined) throw new PlanError('CSV without a header row needs `columns`');
  const fixed = options.columns === undefined ? undefined : [...options.columns];
  return {
    forFile: (resume) => new CsvLineParser<T>(delimiter, header, fixed, resume),
    // A quoted field may hold line breaks, and the header is the file's first line: read whole.
    splittable: false,
  };
}

class CsvLineParser<T> implements LineParser<T> {
  /** Field names once known: from the options, from the snapshot, or from the header row of this file. */
  private columns: readonly string[] | undefined;
  /** True while this file's header row has not been read yet. */
  private headerPending: boolean;
  /** Lines of a record whose quoted field is still open, joined with '\n'. */
  private pending: string | undefined;
  private readonly csvOptions: { delimiter: string; record_delimiter: string; relax_column_count: boolean };

  constructor(
    private readonly delimiter: string,
    header: boolean,
    private readonly fixed: readonly string[] | undefined,
    resume: FormatResumeState | undefined,
  ) {
    this.columns = fixed ?? resume?.columns;
    // Resuming mid-file means the header row was already consumed before the snapshot.
    this.headerPending = header && resume === undefined;
    if (!this.headerPending && this.columns === undefined) {
      throw new SluiceError('cannot resume a CSV file mid-way: the snapshot lacks the header row it started with');
    }
    // The reader has already split the input into lines, so only '\n' (between the lines of a multi-line record)
    // may end a record; a stray '\r' inside a line is data. Column counts are checked here to word the error.
    this.csvOptions = { delimiter, record_delimiter: '\n', relax_column_count: true };
  }

  parseLine(line: string): LineOutcome<T> {
    let text: string;
    if (this.pending === undefined) {
      if (line.length === 0) return SKIP;
      text = line;
    } else {
      text = `${this.pending}\n${line}`;
    }
    let fields: string[];
    if (!text.includes('"')) {
      // Without quotes a row is a plain split, and csv-parse's per-call setup costs about ten times the split.
      fields = text.split(this.delimiter);
    } else {
      let rows: string[][];
      try {
        rows = parseCsv(text, this.csvOptions);
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (code === 'CSV_QUOTE_NOT_CLOSED') {
          // The quoted field goes on after this line break: wait for the next line.
          this.pending = text;
          return INCOMPLETE;
        }
        this.pending = undefined;
        // csv-parse counts lines within the snippet it saw; the reader reports the real line instead.
        const message = (e instanceof Error ? e.message : String(e)).replace(/ at line \d+/, '');
        return new BadLine(`invalid CSV: ${message}`, text);
      }
      if (rows.length !== 1 || rows[0] === undefined) {
        this.pending = undefined;
        return new BadLine(`invalid CSV: expected one row, got ${rows.length}`, text);
      }
      fields = rows[0];
    }
    this.pending = undefined;
    if (this.headerPending) {
      this.headerPending = false;
      if (this.columns === undefined) this.columns = fields;
      return SKIP;
    }
    const columns = this.columns!;
    if (fields.length !== columns.length) {
      return new BadLine(`expected ${columns.length} fields, got ${fields.length}`, text);
    }
    return toRecord(columns, fields) as T;
  }

  endOfFile(): BadLine {
    const raw = this.abandon();
    return new BadLine('invalid CSV: quoted field not closed at end of file', raw);
  }

  abandon(): string {
    const raw = this.pending ?? '';
    this.pending = undefined;
    return raw;
  }

  resumeState(): FormatResumeState | undefined {
    // Undefined while the header row is still ahead, so a resumed parser reads it. Fixed columns come from the
    // options again; only a header read from the file must be remembered.
    if (this.headerPending) return undefined;
    return this.fixed === undefined ? { columns: this.columns! } : {};
  }
}

function toRecord(columns: readonly string[], fields: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i < columns.length; i++) {
    const name = columns[i]!;
    // A header named "__proto__" must become a field, not replace the object's prototype.
    if (name === '__proto__') {
      Object.defineProperty(record, name, { value: fields[i], enumerable: true, writable: true, configurable: true });
    } else record[name] = fields[i]!;
  }
  return record;
}
