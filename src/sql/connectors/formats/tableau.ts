import { formatValue } from '../../types/format-value.js';
import { MAX_VARCHAR_LENGTH, type RowField, type SqlType } from '../../types/sql-type.js';

/** Widest column the tableau shows; longer values are cut and end with '...' (Flink's client does the same). */
const MAX_WIDTH = 30;

function typeWidth(type: SqlType): number {
  switch (type.kind) {
    case 'BOOLEAN':
      return 5;
    case 'TINYINT':
      return 4;
    case 'SMALLINT':
      return 6;
    case 'INT':
      return 11;
    case 'BIGINT':
      return 20;
    case 'DECIMAL':
      return type.precision + 2;
    case 'CHAR':
    case 'VARCHAR':
      return type.length === MAX_VARCHAR_LENGTH ? MAX_WIDTH : Math.min(Math.max(type.length, 1), MAX_WIDTH);
    case 'DATE':
      return 10;
    case 'TIME':
      return 8 + (type.precision > 0 ? type.precision + 1 : 0);
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return 19 + (type.precision > 0 ? type.precision + 1 : 0);
    default:
      return MAX_WIDTH;
  }
}

/**
 * Rows as Flink's SQL client prints them in tableau mode: a bordered table with right-aligned cells, NULL as
 * `<NULL>`, widths from the column types (so rows can be printed as they arrive), and with `changelog` a first
 * column `op` holding +I/-U/+U/-D.
 */
export class Tableau {
  private readonly widths: number[];
  private readonly headers: string[];

  constructor(
    private readonly fields: readonly RowField[],
    private readonly changelog: boolean,
  ) {
    this.headers = [...(changelog ? ['op'] : []), ...fields.map((f) => f.name)];
    this.widths = [
      ...(changelog ? [2] : []),
      ...fields.map((f) => Math.min(MAX_WIDTH, Math.max(f.name.length, typeWidth(f.type)))),
    ];
  }

  border(): string {
    return `+${this.widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  }

  /** Border, header line, border. */
  header(): string {
    return `${this.border()}\n${this.line(this.headers)}\n${this.border()}`;
  }

  /** One row; `kind` is its short row kind (shown only in changelog form). */
  row(values: readonly unknown[], kind: string, offset = 1): string {
    const cells = this.fields.map((f, i) => formatValue(values[offset + i], f.type, '<NULL>', true));
    return this.line(this.changelog ? [kind, ...cells] : cells);
  }

  private line(cells: readonly string[]): string {
    return `| ${cells
      .map((c, i) => {
        const w = this.widths[i]!;
        const text = c.length > w ? `${c.slice(0, Math.max(0, w - 3))}...` : c;
        return text.padStart(w);
      })
      .join(' | ')} |`;
  }

  /** "Received a total of N rows" (Flink's wording). */
  static total(n: number): string {
    return `Received a total of ${n} row${n === 1 ? '' : 's'}`;
  }
}
