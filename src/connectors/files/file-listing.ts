import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';

/** What the input path of a file source turned out to be. */
export interface InputPath {
  readonly kind: 'file' | 'directory';
  readonly path: string;
}

/**
 * Checks that `path` exists and says whether it is a file or a directory.
 *
 * @throws InputError naming the path when it is missing or neither a regular file nor a directory.
 */
export async function resolveInputPath(path: string): Promise<InputPath> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${(e as Error).message})`;
    throw new InputError(`input path '${path}' ${why}`, path, undefined);
  }
  if (info.isDirectory()) return { kind: 'directory', path };
  if (info.isFile()) return { kind: 'file', path };
  throw new InputError(`input path '${path}' is neither a regular file nor a directory`, path, undefined);
}

/**
 * True for names a directory source reads. Names starting with '.' or '_' are skipped so that writers can create
 * a file under such a name and rename it into place once complete (the usual atomic-publish convention), and so
 * that marker files like `_SUCCESS` are not read as data.
 */
export function isInputFileName(name: string): boolean {
  return name.length > 0 && !name.startsWith('.') && !name.startsWith('_');
}

/**
 * The regular files directly inside `dir` (not recursive) whose names pass {@link isInputFileName}, as full paths
 * sorted by name in UTF-16 code-unit order. That order does not depend on the locale, so every reader of every run
 * computes the same list and hence the same split.
 */
export async function listInputFiles(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new InputError(`cannot list directory '${dir}': ${(e as Error).message}`, dir, undefined);
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (!isInputFileName(entry.name)) continue;
    if (entry.isFile()) names.push(entry.name);
    else if (entry.isSymbolicLink() && (await isRegularFile(join(dir, entry.name)))) names.push(entry.name);
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => join(dir, name));
}

/** Follows a symbolic link; a dangling link is not an input file. */
async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * FNV-1a (32-bit) of a string's UTF-16 code units. Used to assign files that appear over time to readers: it only
 * needs to be stable across processes and runs and to spread names evenly, not to be cryptographic.
 */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
