/**
 * One CSV field as text, quoted when it holds the delimiter, a quote or a line break (RFC 4180), with quotes
 * doubled. `null`/`undefined` become an empty field, dates ISO 8601 text, other objects JSON.
 */
export function csvField(value: unknown, delimiter: string): string {
  let text: string;
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') text = value;
  else if (value instanceof Date) text = value.toISOString();
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = String(value);
  if (text.includes(delimiter) || text.includes('"') || text.includes('\n') || text.includes('\r')) {
    return `"${text.replaceAll('"', '""')}"`;
  }
  return text;
}

/** Fields joined into one CSV row, without the line end. */
export function csvRow(fields: readonly unknown[], delimiter: string): string {
  let row = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) row += delimiter;
    row += csvField(fields[i], delimiter);
  }
  return row;
}

/**
 * Turns records into CSV lines. Object records are written in the order of `columns` (or, without it, the keys of the
 * first record, which then also make the header); keys outside it are dropped and missing ones left empty, so every
 * row has the header's field count. Array records are written as they are, other values as a one-field row.
 */
export class CsvRecordFormatter {
  private columns: readonly string[] | undefined;

  constructor(
    columns: readonly string[] | undefined,
    private readonly delimiter: string,
  ) {
    this.columns = columns === undefined ? undefined : [...columns];
  }

  /** The header line (with line end) when the columns are known before the first record, else ''. */
  initialHeader(): string {
    return this.columns === undefined ? '' : `${csvRow(this.columns, this.delimiter)}\n`;
  }

  /** The line (with line end) for one record, preceded by the header when this first record defines it. */
  format(record: unknown): string {
    if (Array.isArray(record)) return `${csvRow(record, this.delimiter)}\n`;
    if (typeof record !== 'object' || record === null || record instanceof Date) {
      return `${csvField(record, this.delimiter)}\n`;
    }
    const object = record as Record<string, unknown>;
    let header = '';
    if (this.columns === undefined) {
      this.columns = Object.keys(object);
      header = `${csvRow(this.columns, this.delimiter)}\n`;
    }
    const columns = this.columns;
    let row = '';
    for (let i = 0; i < columns.length; i++) {
      if (i > 0) row += this.delimiter;
      row += csvField(object[columns[i]!], this.delimiter);
    }
    return `${header}${row}\n`;
  }
}
