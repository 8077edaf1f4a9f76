import { Tableau } from '../../sql/connectors/formats/tableau.js';
import { isAccumulate, ROW_KIND_SHORT, type Row } from '../../sql/runtime/row.js';
import type { RowField } from '../../sql/types/sql-type.js';

/** How the client shows a query's result: Flink's sql-client.execution.result-mode. */
export type ResultMode = 'table' | 'changelog' | 'tableau';

/**
 * Shows a SELECT's rows while the query runs. `changelog` and `tableau` print each change as it arrives (with its
 * +I/-U/+U/-D); `table` keeps the current result (changes applied) and redraws it in place on a terminal, or prints
 * it once at the end otherwise.
 */
export class ResultView {
  private readonly tableau: Tableau;
  private readonly current = new Map<string, { row: Row; count: number }>();
  private received = 0;
  private drawnLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    fields: readonly RowField[],
    private readonly mode: ResultMode,
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
  ) {
    this.tableau = new Tableau(fields, mode !== 'table');
  }

  start(): void {
    if (this.mode !== 'table') this.out.write(`${this.tableau.header()}\n`);
    else if (this.out.isTTY === true) this.timer = setInterval(() => this.redraw(), 250);
  }

  add(rows: readonly Row[]): void {
    this.received += rows.length;
    if (this.mode !== 'table') {
      let text = '';
      for (const row of rows) text += `${this.tableau.row(row, ROW_KIND_SHORT[row[0] as number] ?? '?')}\n`;
      this.out.write(text);
      return;
    }
    for (const row of rows) {
      const key = JSON.stringify(row.slice(1));
      const entry = this.current.get(key);
      if (isAccumulate(row[0] as number)) {
        if (entry === undefined) this.current.set(key, { row, count: 1 });
        else entry.count++;
      } else if (entry !== undefined) {
        if (--entry.count === 0) this.current.delete(key);
      }
    }
    this.dirty = true;
  }

  /** The query ended (or was cancelled): the final table and the count. */
  finish(cancelled: boolean): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.mode === 'table') this.redraw(true);
    else this.out.write(`${this.tableau.border()}\n`);
    this.out.write(`${cancelled ? 'Query cancelled. ' : ''}${Tableau.total(this.received)}\n`);
  }

  private redraw(force = false): void {
    if (!this.dirty && !force) return;
    this.dirty = false;
    const lines = [this.tableau.header()];
    for (const { row, count } of this.current.values()) {
      for (let i = 0; i < count; i++) lines.push(this.tableau.row(row, '+I'));
    }
    lines.push(this.tableau.border());
    const text = lines.join('\n');
    // On a terminal, move up over the previous drawing and clear it.
    const clear = this.out.isTTY === true && this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\x1b[0J` : '';
    this.out.write(`${clear}${text}\n`);
    this.drawnLines = text.split('\n').length;
  }
}
