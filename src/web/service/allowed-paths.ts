import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Forbidden } from '../http-errors.js';

/**
 * The real path of `path` (symlinks resolved) even when its last parts do not exist yet: the deepest existing
 * ancestor is resolved and the rest appended, so a checkpoint directory to be created is checked where it will be.
 */
export function realPathOf(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(realPathOf(parent), basename(abs));
  }
}

/**
 * Paths the service may read job files from (and write checkpoints and savepoints to): inside one of `dirs` after
 * resolving symlinks on both sides, so a link inside an allowed directory cannot point outside it.
 */
export class AllowedPaths {
  readonly dirs: string[];

  constructor(dirs: readonly string[]) {
    this.dirs = dirs.map((d) => realPathOf(d));
  }

  /** Whether `path` lies in an allowed directory. */
  allows(path: string): boolean {
    const real = realPathOf(path);
    return this.dirs.some((d) => real === d || real.startsWith(d.endsWith(sep) ? d : d + sep));
  }

  /**
   * `path` resolved against `base`; throws {@link Forbidden} naming the field and the rule when it lies outside
   * every allowed directory.
   */
  check(field: string, path: string, base: string): string {
    const abs = resolve(base, path);
    if (!this.allows(abs)) {
      throw new Forbidden(
        `${field} ${abs} is outside the allowed directories (${this.dirs.join(', ')}); start the service with --allow-dir to allow more`,
      );
    }
    return abs;
  }
}
