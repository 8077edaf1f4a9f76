import { closeSync, copyFileSync, openSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';

/**
 * An append-only file of at most `maxBytes` on disk: the current file and one previous generation (`PATH.1`) of at
 * most `maxBytes / 2` each. When the current file would pass half the limit it becomes `PATH.1` (replacing the older
 * one) and a new file starts, so the newest output — where a failure's reason is — is always kept.
 */
export class RotatingFile {
  private fd: number;
  private size = 0;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
  ) {
    this.fd = openSync(path, 'a');
  }

  write(chunk: Buffer): void {
    if (this.size + chunk.length > this.maxBytes / 2 && this.size > 0) {
      closeSync(this.fd);
      renameSync(this.path, `${this.path}.1`);
      this.fd = openSync(this.path, 'a');
      this.size = 0;
    }
    // A single chunk beyond the limit keeps only its end.
    const part =
      chunk.length > this.maxBytes / 2 ? chunk.subarray(chunk.length - Math.floor(this.maxBytes / 2)) : chunk;
    writeSync(this.fd, part);
    this.size += part.length;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Caps a file another process appends to (the child's logs.jsonl, opened for appending): when it passes half of
 * `maxBytes`, its content is copied to `PATH.1` and the file truncated to zero, where the appending writer goes on
 * (logrotate's copytruncate). Lines written between the copy and the truncation are lost; this is the one
 * documented gap, and it only occurs at the cap.
 */
export function copyTruncate(path: string, maxBytes: number): void {
  try {
    if (statSync(path).size <= maxBytes / 2) return;
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
  } catch {
    // No log file (yet): nothing to cap.
  }
}
