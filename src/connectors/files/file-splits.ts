import { SluiceError } from '../../core/errors.js';
import { type FileRange, type FileSourceState, splitKey } from './file-source-state.js';

/**
 * Default size of the ranges a large file is read in. Small enough that a few hundred megabytes spread evenly over
 * many readers, large enough that the partial line skipped at each range's start (and the read-ahead past its end)
 * costs nothing measurable.
 */
export const DEFAULT_SPLIT_BYTES = 16 * 1024 * 1024;

/** End of the last range of a file: it reads to the end of the file, however long the file has become. */
export const TO_END_OF_FILE = Number.MAX_SAFE_INTEGER;

/**
 * A unit of reading: a whole file (`range` undefined), or a byte range of a file read in ranges, which owns the
 * lines that *start* in `[start, end)`: the line that crosses `end` is read to its end, and a range that does not
 * start at 0 begins after the first line end at or after `start - 1` (the line that began earlier belongs to the
 * range before). So every line belongs to exactly one range, wherever the boundaries fall.
 */
export interface FileSplit {
  readonly file: string;
  readonly range: FileRange | undefined;
  /** Bytes of the file this split covers when listed (for progress reports). */
  readonly bytes: number;
}

/** The key of a split in a reader's bookkeeping ({@link splitKey}). */
export function keyOf(split: FileSplit): string {
  return splitKey(split.file, split.range?.start);
}

/**
 * Cuts the listed files into splits, in listing order: a file larger than `splitBytes` into ranges of `splitBytes`
 * (the last one reads to the end of the file), other files whole. A file is kept whole when `splittable` is false
 * (a format whose records may span lines, or that needs the file's first line) or when a restored state names it
 * as a whole file (a checkpoint taken before it was read in ranges).
 *
 * @throws SluiceError when a restored state holds ranges that are not this run's ranges of that file: the file
 *   changed size, or `splitBytes` changed, since the checkpoint.
 */
export function planSplits(
  files: readonly { readonly file: string; readonly size: number }[],
  splitBytes: number,
  splittable: boolean,
  restored: FileSourceState | undefined,
  sourceName: string,
): FileSplit[] {
  const whole = new Set<string>(restored?.completed ?? []);
  const restoredRanges: FileRange[] = [...(restored?.completedRanges ?? [])];
  for (const p of restored?.inProgress ?? []) {
    if (p.start === undefined) whole.add(p.file);
    else restoredRanges.push({ file: p.file, start: p.start, end: p.end! });
  }
  const splits: FileSplit[] = [];
  const planned = new Set<string>();
  for (const { file, size } of files) {
    if (!splittable || size <= splitBytes || whole.has(file)) {
      splits.push({ file, range: undefined, bytes: size });
      continue;
    }
    for (let start = 0; start < size; start += splitBytes) {
      const last = start + splitBytes >= size;
      const range = { file, start, end: last ? TO_END_OF_FILE : start + splitBytes };
      splits.push({ file, range, bytes: (last ? size : range.end) - start });
      planned.add(`${splitKey(file, start)}/${range.end}`);
    }
  }
  for (const r of restoredRanges) {
    if (!planned.has(`${splitKey(r.file, r.start)}/${r.end}`)) {
      throw new SluiceError(
        `${sourceName}: the checkpoint read '${r.file}' in ranges that do not match this run's (bytes ${r.start} to ` +
          `${r.end === TO_END_OF_FILE ? 'the end' : r.end}); the file changed size or splitBytes changed since`,
      );
    }
  }
  return splits;
}
