import { csvField } from '../../../connectors/files/csv-writer.js';
import { type Row, RowKind } from '../../runtime/row.js';
import type { RowField, SqlType } from '../../types/sql-type.js';
import { jsonRowEncoder, type TimestampStandard } from './json-row-encoder.js';
import { formatDate, formatTime, formatTimestamp } from './time-text.js';

/** Turns a row into one line of output, line end included. */
export type RowLineEncoder = (row: Row) => string;

/** Flink's json format: one object per row (row kinds other than +I are refused by the planner before). */
export function jsonLineEncoder(fields: readonly RowField[], standard: TimestampStandard): RowLineEncoder {
  const encode = jsonRowEncoder(fields, standard);
  return (row) => `${encode(row, 1)}\n`;
}

/**
 * Flink's debezium-json: +I and +U are written as `{"before":null,"after":{...},"op":"c"}`, -U and -D as
 * `{"before":{...},"after":null,"op":"d"}` (an update is therefore a delete and a create, as Flink writes it).
 */
export function debeziumLineEncoder(fields: readonly RowField[], standard: TimestampStandard): RowLineEncoder {
  const encode = jsonRowEncoder(fields, standard);
  return (row) => {
    const kind = row[0] as number;
    return kind === RowKind.INSERT || kind === RowKind.UPDATE_AFTER
      ? `{"before":null,"after":${encode(row, 1)},"op":"c"}\n`
      : `{"before":${encode(row, 1)},"after":null,"op":"d"}\n`;
  };
}

/** Flink's csv format: fields by position, no header; NULL as an empty field (or 'csv.null-literal'). */
export function csvLineEncoder(fields: readonly RowField[], delimiter: string, nullLiteral = ''): RowLineEncoder {
  const texts = fields.map((f) => csvText(f.type));
  const n = fields.length;
  return (row) => {
    let line = '';
    for (let i = 0; i < n; i++) {
      if (i > 0) line += delimiter;
      const v = row[i + 1];
      line += v === null || v === undefined ? nullLiteral : csvField(texts[i]!(v), delimiter);
    }
    return `${line}\n`;
  };
}

function csvText(type: SqlType): (v: unknown) => string {
  switch (type.kind) {
    case 'DECIMAL':
      return (v) => (v as number).toFixed(type.scale);
    case 'DATE':
      return (v) => formatDate(v as number);
    case 'TIME':
      return (v) => formatTime(v as number, type.precision);
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return (v) => formatTimestamp(v as number, type.precision);
    case 'BINARY':
    case 'VARBINARY':
      return (v) => Buffer.from(v as Uint8Array).toString('base64');
    default:
      return (v) => (typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
}
