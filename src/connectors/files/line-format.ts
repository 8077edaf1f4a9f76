/**
 * The line-level half of a file format: the reader splits a file into lines (without their line ends) and a
 * {@link LineParser} turns each line into a record, nothing, a bad-record report, or "needs the next line too".
 * Outcomes are the record itself or a marker rather than a wrapper object so that the common case allocates nothing.
 */
import { compileJsonProjection, type JsonProjection, projectJson, UNDECODED } from '../formats/json-projection.js';

/** Outcome of a line that carries no record (e.g. a blank line in JSON Lines, a CSV header). */
export const SKIP: unique symbol = Symbol('skip');
/** Outcome of a line that starts or continues a record spanning several lines (a quoted CSV field with a newline). */
export const INCOMPLETE: unique symbol = Symbol('incomplete');

/** Outcome of a line that cannot be parsed. `raw` overrides the line text when the record spans several lines. */
export class BadLine {
  constructor(
    readonly reason: string,
    readonly raw?: string,
  ) {}
}

/** What a parser makes of one line: the record, {@link SKIP}, {@link INCOMPLETE} or a {@link BadLine}. */
export type LineOutcome<T> = T | typeof SKIP | typeof INCOMPLETE | BadLine;

/** Format state a parser needs to resume in the middle of a file (the CSV header read at its start). */
export interface FormatResumeState {
  readonly columns?: readonly string[];
}

/** Parses the lines of one file, in order. */
export interface LineParser<T> {
  /** Parses the next line (line end removed, BOM removed from the first line). */
  parseLine(line: string): LineOutcome<T>;
  /**
   * Optional: parses the next line from its UTF-8 bytes `bytes[start, end)` (line end and BOM removed), so that no
   * string of the whole line is made. When present the reader calls it instead of {@link parseLine}; it must give
   * the same outcome `parseLine` gives for the decoded line, and must not keep `bytes` (the reader reuses them).
   */
  parseBytes?(bytes: Buffer, start: number, end: number): LineOutcome<T>;
  /** The file ended while the last outcome was {@link INCOMPLETE}: what to report for the unfinished record. */
  endOfFile(): BadLine;
  /** Forgets an {@link INCOMPLETE} record (it grew too long) and returns its text so far. */
  abandon(): string;
  /**
   * What to store with a snapshot so that {@link LineFormat.forFile} can resume after the last line parsed;
   * undefined when a parser made for the start of the file would do.
   */
  resumeState(): FormatResumeState | undefined;
}

/** A file format: makes a fresh parser for each file. */
export interface LineFormat<T> {
  /** A parser for one file; `resume` is what {@link LineParser.resumeState} returned at the resume position. */
  forFile(resume: FormatResumeState | undefined): LineParser<T>;
  /**
   * True when any line can be parsed without the lines before it (no record spans lines, nothing is read from the
   * file's start), so that a large file may be read in byte ranges by several readers.
   */
  readonly splittable: boolean;
}

/**
 * Base for parsers whose records never span lines: they never return {@link INCOMPLETE}, so there is nothing to
 * abandon or report at the end of a file, and no state to resume from.
 */
export abstract class SingleLineParser<T> implements LineParser<T> {
  abstract parseLine(line: string): LineOutcome<T>;
  endOfFile(): BadLine {
    // Unreachable: parseLine never returns INCOMPLETE.
    return new BadLine('unexpected end of file');
  }
  abandon(): string {
    return '';
  }
  resumeState(): undefined {
    return undefined;
  }
}

/**
 * Plain text: every line is a record, including empty ones. With `parse`, the record is `parse(line)`; a `parse`
 * that throws marks the line as a bad record (the message becomes the reason), so one malformed line does not stop
 * the job unless the runtime is configured to fail on bad records.
 */
export function textFormat<T>(parse?: (line: string) => T): LineFormat<T> {
  const parser =
    parse === undefined
      ? new (class extends SingleLineParser<T> {
          parseLine(line: string): T {
            return line as T;
          }
        })()
      : new (class extends SingleLineParser<T> {
          parseLine(line: string): LineOutcome<T> {
            try {
              return parse(line);
            } catch (e) {
              return new BadLine(`parse failed: ${e instanceof Error ? e.message : String(e)}`);
            }
          }
        })();
  // Stateless, so one parser serves every file.
  return { forFile: () => parser, splittable: true };
}

/**
 * JSON Lines: each non-blank line is `JSON.parse`d; blank lines are skipped; a line that fails to parse is bad, and
 * so is one that `validate` (which turns the parsed value into the record) rejects by throwing.
 *
 * With `fields`, each value is projected (see {@link JsonProjection}) before `validate` sees it, and lines are
 * decoded from their bytes by a decoder compiled for the projection, which builds only the projected fields. The
 * outcome is the same as `JSON.parse` followed by {@link projectJson}, including the error text of a bad line:
 * lines the compiled decoder does not take (invalid JSON, rare shapes) go through exactly that path.
 */
export function jsonLinesFormat<T>(validate?: (value: unknown) => T, fields?: JsonProjection): LineFormat<T> {
  const finish = (value: unknown): LineOutcome<T> => {
    if (validate === undefined) return value as T;
    try {
      return validate(value);
    } catch (e) {
      return new BadLine(`invalid record: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const parseLine = (line: string): LineOutcome<T> => {
    if (isBlank(line)) return SKIP;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      return new BadLine(`invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    return finish(fields === undefined ? value : projectJson(value, fields));
  };
  if (fields === undefined) {
    const plain = new (class extends SingleLineParser<T> {
      parseLine = parseLine;
    })();
    return { forFile: () => plain, splittable: true };
  }
  const decode = compileJsonProjection(fields);
  const parser = new (class extends SingleLineParser<T> {
    parseLine = parseLine;
    parseBytes(bytes: Buffer, start: number, end: number): LineOutcome<T> {
      const value = decode(bytes, start, end);
      return value === UNDECODED ? parseLine(bytes.toString('utf8', start, end)) : finish(value);
    }
  })();
  return { forFile: () => parser, splittable: true };
}

/** True for an empty or whitespace-only line; checked without allocating a trimmed copy. */
export function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0xfeff) return false;
  }
  return true;
}
