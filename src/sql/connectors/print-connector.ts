import type { Sink, SinkWriter, SinkWriterContext } from '../../core/sink.js';
import { ROW_KIND_SHORT, type Row } from '../runtime/row.js';
import { formatValue } from '../types/format-value.js';
import type { RowField } from '../types/sql-type.js';
import { ConnectorOptions } from './connector-options.js';
import { addSink } from './sink-node.js';
import type { SinkRequest, TableConnector } from './table-connector.js';

/** `+I[1, abc]`: the row kind, then the values as text (NULL as `null`), as Flink's print connector writes rows. */
export function rowText(fields: readonly RowField[]): (row: Row) => string {
  return (row) => {
    let text = `${ROW_KIND_SHORT[row[0] as number] ?? '?'}[`;
    for (let i = 0; i < fields.length; i++) {
      if (i > 0) text += ', ';
      const field = fields[i]!;
      const v = row[i + 1];
      text += field.type.kind === 'BOOLEAN' && v !== null ? String(v) : formatValue(v, field.type, 'null', true);
    }
    return `${text}]`;
  };
}

class PrintRowSink implements Sink<Row> {
  constructor(
    readonly name: string,
    private readonly fields: readonly RowField[],
    private readonly identifier: string | undefined,
    private readonly toStderr: boolean,
  ) {}

  createWriter(ctx: SinkWriterContext): SinkWriter<Row> {
    // Flink: "identifier:2> " in parallel, "identifier> " alone, "2> " without identifier, nothing at parallelism 1.
    const task = ctx.parallelism > 1 ? String(ctx.subtaskIndex + 1) : '';
    const prefix =
      this.identifier === undefined
        ? task === ''
          ? ''
          : `${task}> `
        : task === ''
          ? `${this.identifier}> `
          : `${this.identifier}:${task}> `;
    const text = rowText(this.fields);
    const out = this.toStderr ? process.stderr : process.stdout;
    return {
      write(rows) {
        let lines = '';
        for (const row of rows) lines += `${prefix}${text(row)}\n`;
        if (!out.write(lines)) return new Promise<void>((resolve) => out.once('drain', () => resolve()));
      },
    };
  }
}

/** `'connector' = 'print'`: writes every row (any row kind) to stdout, or stderr with 'standard-error'. */
export const printConnector: TableConnector = {
  name: 'print',
  sinkModes: () => ['insert-only', 'upsert', 'retract'],
  createSink(request: SinkRequest): void {
    const options = new ConnectorOptions(request.table);
    options.check(['print-identifier', 'standard-error', 'sink.parallelism']);
    const name = `print:${request.table.name}`;
    const sink = new PrintRowSink(
      name,
      request.table.physical.fields,
      options.string('print-identifier'),
      options.boolean('standard-error', false),
    );
    addSink(request.input, sink, name, request.uid, options.integer('sink.parallelism', undefined, 1));
  },
};

class DiscardRowSink implements Sink<Row> {
  constructor(readonly name: string) {}
  createWriter(): SinkWriter<Row> {
    return { write: () => {} };
  }
}

/** `'connector' = 'blackhole'`: discards every row (any row kind); for benchmarks. */
export const blackholeConnector: TableConnector = {
  name: 'blackhole',
  sinkModes: () => ['insert-only', 'upsert', 'retract'],
  createSink(request: SinkRequest): void {
    new ConnectorOptions(request.table).check([]);
    const name = `blackhole:${request.table.name}`;
    addSink(request.input, new DiscardRowSink(name), name, request.uid);
  },
};
