import { statSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BufferedFileWriter } from '../../../connectors/files/buffered-file-writer.js';
import { PartFileWriter } from '../../../connectors/files/part-file-writer.js';
import { PlanError } from '../../../core/errors.js';
import type { Sink, SinkWriter, SinkWriterContext } from '../../../core/sink.js';
import type { Row } from '../../runtime/row.js';
import type { RowLineEncoder } from '../formats/row-line-encoders.js';

/**
 * The filesystem table sink. `path` is a directory (as in Flink): each subtask writes its own part files. With
 * checkpoints, the engine's exactly-once part-file protocol (hidden in-progress files published when the checkpoint
 * covering them completes, `part-<subtask>-<seq><ext>`); without, one plain file per subtask,
 * `part-<subtask>-000000<ext>`. Either way a run from the beginning replaces this subtask's part files from earlier
 * runs and leaves other names alone.
 *
 * `singleFile`: the path names one file (it has the format's extension, or is an existing file): written whole, at
 * parallelism 1; refused with checkpoints, whose commit protocol needs a directory.
 */
export class SqlFileSink implements Sink<Row> {
  readonly requiredParallelism: number | undefined;

  constructor(
    readonly name: string,
    private readonly path: string,
    private readonly extension: string,
    private readonly encoder: RowLineEncoder,
    private readonly singleFile: boolean,
  ) {
    this.requiredParallelism = singleFile ? 1 : undefined;
  }

  createWriter(ctx: SinkWriterContext): SinkWriter<Row> {
    const encode = this.encoder;
    const formatter = { initial: () => '', format: encode };
    if (ctx.exactlyOnce) {
      if (this.singleFile) {
        throw new PlanError(
          `${this.name}: 'path' = '${this.path}' names a file, but with checkpoints the filesystem sink writes a directory of part files that become visible at checkpoints: give a directory path`,
        );
      }
      return new PartFileWriter<Row>(this.path, ctx.subtaskIndex, this.extension, formatter);
    }
    const file = this.singleFile
      ? this.path
      : join(this.path, `part-${ctx.subtaskIndex}-${'0'.repeat(6)}${this.extension}`);
    const out = new BufferedFileWriter(file);
    const dir = this.path;
    const singleFile = this.singleFile;
    const subtask = ctx.subtaskIndex;
    const extension = this.extension;
    return {
      async open() {
        if (!singleFile) await removeOwnParts(dir, subtask, extension);
        await out.open();
      },
      write(rows) {
        let text = '';
        for (const row of rows) text += encode(row);
        return out.append(text);
      },
      flush: () => out.flush(),
      close: () => out.close(),
    };
  }
}

/** Part files of this subtask left by earlier runs (published or in progress): a rerun replaces them. */
async function removeOwnParts(dir: string, subtask: number, extension: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const own = new RegExp(
    `^(part-${subtask}-\\d{6,}${extension.replace(/\./g, '\\.')}|\\.part-${subtask}-\\d+\\.inprogress)$`,
  );
  for (const name of names) if (own.test(name)) await rm(join(dir, name), { force: true });
}

/** Whether a sink path names one file rather than a directory: an existing file, or a name with `extension`. */
export function isFilePath(path: string, extensions: readonly string[]): boolean {
  const s = statSync(path, { throwIfNoEntry: false });
  if (s !== undefined) return s.isFile();
  return extensions.some((e) => path.endsWith(e));
}
