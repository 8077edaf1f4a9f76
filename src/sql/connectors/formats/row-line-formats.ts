import { csvFormat } from '../../../connectors/files/csv-line-parser.js';
import {
  BadLine,
  type FormatResumeState,
  isBlank,
  type LineFormat,
  type LineOutcome,
  type LineParser,
  SingleLineParser,
  SKIP,
} from '../../../connectors/files/line-format.js';
import {
  compileJsonProjection,
  type JsonProjection,
  type JsonProjectionDecoder,
  UNDECODED,
} from '../../../connectors/formats/json-projection.js';
import { PlanError } from '../../../core/errors.js';
import { type Row, RowKind } from '../../runtime/row.js';
import type { RowField, SqlType } from '../../types/sql-type.js';
import { describe, FieldError, type JsonDecodeOptions, jsonRowDecoder } from './json-row-decoder.js';
import { parseDate, parseTime, parseTimestamp } from './time-text.js';

/** Several rows from one line (a debezium-json update: its -U and +U). */
export class RowGroup {
  constructor(readonly rows: readonly Row[]) {}
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Flink's json format over lines: each non-blank line one JSON object, decoded into a row of `fields`. A line that is
 * not JSON, or a value that does not fit its column, is a bad line naming the field (the reader adds file:line),
 * unless 'json.ignore-parse-errors' (then the line is skipped, or the field NULL).
 */
export function jsonRowLineFormat(fields: readonly RowField[], options: JsonDecodeOptions): LineFormat<Row> {
  const decode = jsonRowDecoder(fields, options);
  const ignore = options.ignoreParseErrors;
  const parseLine = (line: string): LineOutcome<Row> => {
    if (isBlank(line)) return SKIP;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      return ignore ? SKIP : new BadLine(`invalid JSON: ${reason(e)}`);
    }
    return toRow(value);
  };
  const toRow = (value: unknown): LineOutcome<Row> => {
    try {
      return decode(value);
    } catch (e) {
      if (ignore) return SKIP;
      return new BadLine(reason(e));
    }
  };
  // The decoder reads only the columns' fields of the parsed object, so building only those changes nothing.
  const compiled = compileRowProjection(fields);
  const parser = new (class extends SingleLineParser<Row> {
    parseLine = parseLine;
    parseBytes(bytes: Buffer, start: number, end: number): LineOutcome<Row> {
      const value = compiled === undefined ? UNDECODED : compiled(bytes, start, end);
      return value === UNDECODED ? parseLine(bytes.toString('utf8', start, end)) : toRow(value);
    }
  })();
  return { forFile: () => parser, splittable: true };
}

/**
 * A compiled decoder of the JSON fields `fields` read: ROW columns down to their own fields, other columns whole.
 * Undefined when a column name cannot be compiled (then lines are `JSON.parse`d whole, as before).
 */
export function compileRowProjection(fields: readonly RowField[]): JsonProjectionDecoder | undefined {
  try {
    return compileJsonProjection(rowProjection(fields));
  } catch (e) {
    if (e instanceof PlanError) return undefined;
    throw e;
  }
}

function rowProjection(fields: readonly RowField[]): JsonProjection {
  const out: Record<string, JsonProjection> = {};
  for (const f of fields) {
    if (f.unread === true) continue;
    Object.defineProperty(out, f.name, {
      value: f.type.kind === 'ROW' ? rowProjection(f.type.fields) : true,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Flink's debezium-json format: `{"before": {...}|null, "after": {...}|null, "op": "c"|"r"|"u"|"d"}` (optionally
 * inside `"payload"`, as Debezium writes with schemas). c and r give +I(after), u gives -U(before) and +U(after),
 * d gives -D(before).
 */
export function debeziumRowLineFormat(
  fields: readonly RowField[],
  options: JsonDecodeOptions,
): LineFormat<Row | RowGroup> {
  const decode = jsonRowDecoder(fields, options);
  const ignore = options.ignoreParseErrors;
  const image = (value: unknown, which: string, kind: number): Row => {
    if (value === null || value === undefined) throw new FieldError(which, `missing for this op`);
    try {
      const row = decode(value);
      row[0] = kind;
      return row;
    } catch (e) {
      if (e instanceof FieldError)
        throw new FieldError(`${which}.${e.path}`, e.message.replace(/^field '[^']*': /, ''));
      throw e;
    }
  };
  const parser = new (class extends SingleLineParser<Row | RowGroup> {
    parseLine(line: string): LineOutcome<Row | RowGroup> {
      if (isBlank(line)) return SKIP;
      let value: Record<string, unknown>;
      try {
        value = JSON.parse(line);
      } catch (e) {
        return ignore ? SKIP : new BadLine(`invalid JSON: ${reason(e)}`);
      }
      try {
        if (typeof value !== 'object' || value === null)
          throw new FieldError('$', `expected an object, got ${describe(value)}`);
        const event = (typeof value.payload === 'object' && value.payload !== null ? value.payload : value) as Record<
          string,
          unknown
        >;
        switch (event.op) {
          case 'c':
          case 'r':
            return image(event.after, 'after', RowKind.INSERT);
          case 'u':
            return new RowGroup([
              image(event.before, 'before', RowKind.UPDATE_BEFORE),
              image(event.after, 'after', RowKind.UPDATE_AFTER),
            ]);
          case 'd':
            return image(event.before, 'before', RowKind.DELETE);
          default:
            throw new FieldError('op', `expected "c", "r", "u" or "d", got ${describe(event.op)}`);
        }
      } catch (e) {
        if (ignore) return SKIP;
        return new BadLine(reason(e));
      }
    }
  })();
  // A changelog: one file's changes to a key must be applied in order, by one reader.
  return { forFile: () => parser, splittable: false };
}

/** Options of Flink's csv format. */
export interface CsvRowOptions {
  readonly delimiter: string;
  readonly ignoreParseErrors: boolean;
  readonly allowComments: boolean;
  /** Text read as NULL ('csv.null-literal'); besides, an empty field is NULL for every non-string column. */
  readonly nullLiteral: string | undefined;
}

/**
 * Flink's csv format: fields by position (no header row), RFC 4180 quoting. A line holds every column of `fields`
 * (the table's physical columns); rows hold the columns at `projection` (all when undefined), in that order.
 */
export function csvRowLineFormat(
  fields: readonly RowField[],
  options: CsvRowOptions,
  projection?: readonly number[],
): LineFormat<Row> {
  const all = fields.map((_, i) => String(i));
  const picked = projection ?? fields.map((_, i) => i);
  const names = picked.map((i) => all[i]!);
  const inner = csvFormat<Record<string, string>>({ columns: all, header: false, delimiter: options.delimiter });
  const converts = picked.map((i) => csvConverter(fields[i]!.type, fields[i]!.name, options.nullLiteral));
  return {
    splittable: inner.splittable,
    forFile(resume: FormatResumeState | undefined): LineParser<Row> {
      const parser = inner.forFile(resume);
      return {
        parseLine(line: string): LineOutcome<Row> {
          if (options.allowComments && line.startsWith('#')) return SKIP;
          const outcome = parser.parseLine(line);
          if (typeof outcome !== 'object' || outcome instanceof BadLine) {
            return outcome instanceof BadLine && options.ignoreParseErrors ? SKIP : (outcome as LineOutcome<Row>);
          }
          const row: Row = new Array(converts.length + 1);
          row[0] = RowKind.INSERT;
          try {
            for (let i = 0; i < converts.length; i++) row[i + 1] = converts[i]!(outcome[names[i]!]!);
          } catch (e) {
            return options.ignoreParseErrors ? SKIP : new BadLine(reason(e));
          }
          return row;
        },
        endOfFile: () => parser.endOfFile(),
        abandon: () => parser.abandon(),
        resumeState: () => parser.resumeState(),
      };
    },
  };
}

function csvConverter(type: SqlType, path: string, nullLiteral: string | undefined): (text: string) => unknown {
  const fail = (v: string): never => {
    throw new FieldError(path, `expected ${type.kind}, got ${describe(v)}`);
  };
  const isString = type.kind === 'CHAR' || type.kind === 'VARCHAR';
  const convert = ((): ((text: string) => unknown) => {
    switch (type.kind) {
      case 'BOOLEAN':
        return (v) => (v.toLowerCase() === 'true' ? true : v.toLowerCase() === 'false' ? false : fail(v));
      case 'TINYINT':
      case 'SMALLINT':
      case 'INT':
      case 'BIGINT':
        return (v) => {
          const n = Number(v);
          return Number.isInteger(n) ? n : fail(v);
        };
      case 'FLOAT':
      case 'DOUBLE':
      case 'DECIMAL':
        return (v) => {
          const n = Number(v);
          return Number.isNaN(n) && v.trim() !== 'NaN' ? fail(v) : n;
        };
      case 'CHAR':
      case 'VARCHAR':
        return (v) => v;
      case 'BINARY':
      case 'VARBINARY':
        return (v) => new Uint8Array(Buffer.from(v, 'base64'));
      case 'DATE':
        return (v) => parseDate(v) ?? fail(v);
      case 'TIME':
        return (v) => parseTime(v) ?? fail(v);
      case 'TIMESTAMP':
      case 'TIMESTAMP_LTZ':
        return (v) => {
          const n = Number(v);
          return v.trim() !== '' && Number.isFinite(n) ? n : (parseTimestamp(v) ?? fail(v));
        };
      default:
        return () => {
          throw new FieldError(path, `the csv format cannot read ${type.kind} columns`);
        };
    }
  })();
  return (text) => {
    if (text === nullLiteral || (text === '' && !isString)) return null;
    return convert(text.trim() === text || isString ? text : text.trim());
  };
}
