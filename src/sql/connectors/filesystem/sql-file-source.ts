import { FileSourceReader } from '../../../connectors/files/file-source-reader.js';
import { DEFAULT_SPLIT_BYTES } from '../../../connectors/files/file-splits.js';
import type { LineFormat } from '../../../connectors/files/line-format.js';
import type { Source, SourceOutput, SourceReader, SourceReaderContext } from '../../../core/source.js';
import type { Row } from '../../runtime/row.js';
import { RowGroup } from '../formats/row-line-formats.js';

const MIB = 1024 * 1024;

/**
 * The filesystem table source: the engine's file reader (files, and ranges of large files, spread over the subtasks; checkpointed read positions;
 * bad lines reported with file:line, optional directory monitoring) with a SQL row format. A format may turn one
 * line into several rows (a {@link RowGroup}); they are emitted in order.
 */
export class SqlFileSource implements Source<Row> {
  readonly boundedness: 'bounded' | 'unbounded';

  constructor(
    readonly name: string,
    private readonly path: string,
    private readonly format: LineFormat<Row | RowGroup>,
    private readonly monitorIntervalMs: number | undefined,
    private readonly grouped: boolean,
  ) {
    this.boundedness = monitorIntervalMs === undefined ? 'bounded' : 'unbounded';
  }

  createReader(ctx: SourceReaderContext): SourceReader<Row> {
    const reader = new FileSourceReader<Row | RowGroup>(
      {
        sourceName: this.name,
        path: this.path,
        format: this.format,
        watchIntervalMs: this.monitorIntervalMs,
        allowEmpty: false,
        maxLineBytes: 16 * MIB,
        chunkBytes: MIB,
        splitBytes: DEFAULT_SPLIT_BYTES,
      },
      ctx,
    );
    if (!this.grouped) return reader as SourceReader<Row>;
    const expand = new ExpandingOutput();
    // Delegate everything, but route records through the expansion of row groups.
    return {
      open: () => reader.open(),
      pollNext(out, max) {
        expand.out = out;
        return reader.pollNext(expand, max);
      },
      available: () => reader.available(),
      snapshotState: () => reader.snapshotState(),
      restoreState: (states) => reader.restoreState(states),
      inputProgress: () => reader.inputProgress(),
      close: () => reader.close(),
    };
  }
}

class ExpandingOutput implements SourceOutput<Row | RowGroup> {
  out: SourceOutput<Row> | undefined;
  collect(value: Row | RowGroup, timestamp?: number): void {
    if (value instanceof RowGroup) for (const row of value.rows) this.out!.collect(row, timestamp);
    else this.out!.collect(value, timestamp);
  }
}
