import { SluiceError } from '../../core/errors.js';
import type { FormatResumeState } from './line-format.js';

/**
 * Where a reader stands in one file: the next record starts at byte `offset`, on line `line` (1-based). `format`
 * holds what the format needs to go on mid-file (the CSV header read at the file's start).
 */
export interface FileProgress {
  readonly file: string;
  readonly offset: number;
  readonly line: number;
  readonly format?: FormatResumeState;
}

/**
 * A file source reader's position, as returned by `snapshotState()`: the files it has fully emitted and the files
 * it is part way through. Files in neither list are read from the start. Plain JSON, so a checkpoint can store it
 * as is. File names are the paths the source opens (the source path joined with the file name).
 */
export interface FileSourceState {
  readonly completed: readonly string[];
  readonly inProgress: readonly FileProgress[];
}

/**
 * Combines the states of several readers of one source, e.g. to restore at a different parallelism: hand the
 * merged state to every new reader and each takes the entries for the files it now owns.
 */
export function mergeFileSourceStates(states: readonly FileSourceState[]): FileSourceState {
  const completed = new Set<string>();
  for (const state of states) for (const file of state.completed) completed.add(file);
  const inProgress = new Map<string, FileProgress>();
  for (const state of states) {
    for (const progress of state.inProgress) {
      if (completed.has(progress.file)) continue;
      // Only one reader reads a file, so duplicates come from merging a state with itself; keep the furthest.
      const other = inProgress.get(progress.file);
      if (other === undefined || other.offset < progress.offset) inProgress.set(progress.file, progress);
    }
  }
  return { completed: [...completed], inProgress: [...inProgress.values()] };
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
  }
  return value as FileSourceState;
}
