import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SinkWriter } from '../../core/sink.js';
import { BufferedFileWriter } from './buffered-file-writer.js';

/** What a checkpoint records to publish one part file later. */
export interface PartFileCommittable {
  /** Hidden in-progress name, in the output directory. */
  pending: string;
  /** Visible name after commit. */
  final: string;
}

/** Turns records into lines (each with its line end); `initial` is written at the start of the first part file. */
export interface PartLineFormatter<T> {
  initial(): string;
  format(value: T): string;
}

const pad = (n: number) => String(n).padStart(6, '0');

/**
 * The exactly-once form of the file sink: output is a directory of part files. Records go to a hidden in-progress
 * file (`.part-<subtask>-<seq>.inprogress`); at a checkpoint the file is flushed, fsynced and closed
 * (`prepareCommit`), and only when that checkpoint is complete is it renamed to `part-<subtask>-<seq><ext>`
 * (`commit`). Readers that ignore hidden files therefore never see uncommitted output, and concatenating the part
 * files in name order gives each subtask's output in order. After a failure, `recover` publishes what the restored
 * checkpoint had pre-committed and deletes this subtask's files produced after it — in-progress ones and also
 * published ones with a later sequence number (possible when a newer checkpoint turned out corrupt and an older one
 * was restored): they will be produced again under the same names, so the output stays exactly-once.
 */
export class PartFileWriter<T> implements SinkWriter<T> {
  private current: BufferedFileWriter | undefined;
  private currentName = '';
  private seq = 0;
  private recovered = false;

  constructor(
    private readonly dir: string,
    private readonly subtask: number,
    private readonly extension: string,
    private readonly formatter: PartLineFormatter<T>,
  ) {}

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  private async ensureRecovered(): Promise<void> {
    if (!this.recovered) await this.recover([], []);
  }

  async write(values: readonly T[]): Promise<void> {
    await this.ensureRecovered();
    if (this.current === undefined) {
      this.currentName = `.part-${this.subtask}-${pad(this.seq)}.inprogress`;
      this.current = new BufferedFileWriter(join(this.dir, this.currentName));
      await this.current.open();
      if (this.seq === 0) await this.current.append(this.formatter.initial());
    }
    let text = '';
    for (const value of values) text += this.formatter.format(value);
    await this.current.append(text);
  }

  async prepareCommit(): Promise<PartFileCommittable | undefined> {
    await this.ensureRecovered();
    const file = this.current;
    if (file === undefined) return undefined;
    this.current = undefined;
    await file.close(); // flushes and fsyncs
    const committable = { pending: this.currentName, final: `part-${this.subtask}-${pad(this.seq)}${this.extension}` };
    this.seq++;
    return committable;
  }

  /** Publishes pre-committed part files; idempotent (a file already renamed is left as it is). */
  async commit(committables: readonly unknown[]): Promise<void> {
    for (const c of committables as PartFileCommittable[]) {
      const from = join(this.dir, c.pending);
      const to = join(this.dir, c.final);
      try {
        await rename(from, to);
      } catch (e) {
        const done = await stat(to).then(
          () => true,
          () => false,
        );
        if (!done) throw new Error(`cannot publish ${c.final}: ${(e as Error).message}`);
      }
    }
    if (committables.length > 0) await syncDirectory(this.dir);
  }

  snapshotState(): { nextSeq: number } {
    return { nextSeq: this.seq };
  }

  async recover(committables: readonly unknown[], states: readonly unknown[]): Promise<void> {
    this.recovered = true;
    await mkdir(this.dir, { recursive: true });
    await this.commit(committables);
    const inProgress = new RegExp(`^\\.part-${this.subtask}-\\d+\\.inprogress$`);
    const published = new RegExp(`^part-${this.subtask}-(\\d+)`);
    const restored = (states as { nextSeq: number }[]).map((s) => s.nextSeq);
    // Restored: files from `nextSeq` on come after the checkpoint. Fresh start: continue after what exists.
    const keepBelow = restored.length > 0 ? Math.max(...restored) : Number.POSITIVE_INFINITY;
    let next = restored.length > 0 ? keepBelow : 0;
    for (const name of await readdir(this.dir)) {
      if (inProgress.test(name)) {
        await rm(join(this.dir, name), { force: true });
        continue;
      }
      const m = published.exec(name);
      if (m === null) continue;
      const seq = Number(m[1]);
      if (seq >= keepBelow) await rm(join(this.dir, name), { force: true });
      else if (restored.length === 0) next = Math.max(next, seq + 1);
    }
    this.seq = next;
  }

  async flush(): Promise<void> {
    await this.current?.flush();
  }

  async close(): Promise<void> {
    // An unfinished part file stays hidden; the next run's recovery deletes it.
    await this.current?.close();
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
