import { SluiceError } from '../../core/errors.js';
import type { FormatResumeState } from './line-format.js';

/**
 * Where a reader stands in one file, or in one byte range of a file read in ranges (see `FileSource`'s
 * `splitBytes`): the next record starts at byte `offset`, on line `line` (1-based; within a range, counted from the
 * range's first line). `format` holds what the format needs to go on mid-file (the CSV header read at the file's
 * start). `start` and `end` are present for a range only: the range owns the lines that start in `[start, end)`.
 */
export interface FileProgress {
  readonly file: string;
  readonly offset: number;
  readonly line: number;
  readonly format?: FormatResumeState;
  readonly start?: number;
  readonly end?: number;
}

/** A byte range of a file read in ranges: it owns the lines that start in `[start, end)`. */
export interface FileRange {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

/**
 * A file source reader's position, as returned by `snapshotState()`: the files (and ranges of files) it has fully
 * emitted and those it is part way through. Files in none of the lists are read from the start. Plain JSON, so a
 * checkpoint can store it as is. File names are the paths the source opens (the source path joined with the file
 * name).
 */
export interface FileSourceState {
  readonly completed: readonly string[];
  readonly inProgress: readonly FileProgress[];
  /** Ranges fully emitted, of files read in ranges (absent when there are none). */
  readonly completedRanges?: readonly FileRange[];
}

/** Identifies a whole file or a range of one within a reader's bookkeeping. */
export function splitKey(file: string, start: number | undefined): string {
  return start === undefined ? file : `${file}\u0000${start}`;
}

/**
 * Combines the states of several readers of one source, e.g. to restore at a different parallelism: hand the
 * merged state to every new reader and each takes the entries for the files (and ranges) it now owns.
 */
export function mergeFileSourceStates(states: readonly FileSourceState[]): FileSourceState {
  const completed = new Set<string>();
  const ranges = new Map<string, FileRange>();
  for (const state of states) {
    for (const file of state.completed) completed.add(file);
    for (const r of state.completedRanges ?? []) ranges.set(splitKey(r.file, r.start), r);
  }
  const inProgress = new Map<string, FileProgress>();
  for (const state of states) {
    for (const progress of state.inProgress) {
      const key = splitKey(progress.file, progress.start);
      if (progress.start === undefined ? completed.has(progress.file) : ranges.has(key)) continue;
      // Only one reader reads a file or range, so duplicates come from merging a state with itself; keep the
      // furthest.
      const other = inProgress.get(key);
      if (other === undefined || other.offset < progress.offset) inProgress.set(key, progress);
    }
  }
  const merged = { completed: [...completed], inProgress: [...inProgress.values()] };
  return ranges.size === 0 ? merged : { ...merged, completedRanges: [...ranges.values()] };
}

/**
 * Checks that an opaque restored value is a {@link FileSourceState}, so that a corrupt or foreign checkpoint fails
 * with a message instead of reading from a nonsensical position.
 *
 * @throws SluiceError describing the first problem found.
 */
export function toFileSourceState(value: unknown): FileSourceState {
  const fail = (why: string): never => {
    throw new SluiceError(`invalid file source state: ${why}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const { completed, inProgress } = value as { completed?: unknown; inProgress?: unknown };
  if (!Array.isArray(completed) || !completed.every((f) => typeof f === 'string')) {
    return fail('`completed` must be an array of file names');
  }
  if (!Array.isArray(inProgress)) return fail('`inProgress` must be an array');
  for (const p of inProgress as unknown[]) {
    const entry = p as Partial<FileProgress> | null;
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof entry.file !== 'string' ||
      !Number.isSafeInteger(entry.offset) ||
      (entry.offset as number) < 0 ||
      !Number.isSafeInteger(entry.line) ||
      (entry.line as number) < 1
    ) {
      return fail(`bad in-progress entry ${JSON.stringify(p)}`);
    }
    if ((entry.start === undefined) !== (entry.end === undefined) || (entry.start !== undefined && !isRange(entry))) {
      return fail(`bad range of in-progress entry ${JSON.stringify(p)}`);
    }
  }
  const { completedRanges } = value as { completedRanges?: unknown };
  if (completedRanges !== undefined) {
    if (!Array.isArray(completedRanges)) return fail('`completedRanges` must be an array');
    for (const r of completedRanges as unknown[]) {
      if (typeof r !== 'object' || r === null || !isRange(r as Partial<FileRange>)) {
        return fail(`bad completed range ${JSON.stringify(r)}`);
      }
    }
  }
  return value as FileSourceState;
}

function isRange(r: Partial<FileRange>): boolean {
  return (
    typeof r.file === 'string' &&
    Number.isSafeInteger(r.start) &&
    Number.isSafeInteger(r.end) &&
    (r.start as number) >= 0 &&
    (r.end as number) > (r.start as number)
  );
}
