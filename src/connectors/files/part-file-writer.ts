import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SinkWriter } from '../../core/sink.js';
import { BufferedFileWriter } from './buffered-file-writer.js';

/** What a checkpoint records to publish one part file later. */
export interface PartFileCommittable {
  /** Hidden in-progress name, in the output directory. */
  pending: string;
  /** Visible name after commit. */
  final: string;
  /**
   * Absolute output directory the files are in. Absent in checkpoints written before it was recorded: then the
   * writer's own directory.
   */
  dir?: string;
}

/** The writer's state in a checkpoint: the next part file's sequence number, and whose (absent in older ones). */
interface PartFileWriterState {
  nextSeq: number;
  subtask?: number;
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
 *
 * A run that starts from the beginning (no checkpoint restored: a first run, or `--fresh`) replaces this subtask's
 * part files, published and in-progress, just as the single-file sink truncates its file: otherwise a rerun would
 * add a second copy of the output. Files of other names in the directory are never touched.
 *
 * Restored at another parallelism: a subtask that takes over the state of earlier subtasks with other indexes
 * (fewer subtasks now) also discards what those produced after the checkpoint, so no hidden file is left behind; a
 * subtask given no earlier state (more subtasks now) keeps the part files an earlier subtask of its index published
 * (output of the job from before the parallelism went down) and numbers its own after them.
 *
 * A checkpoint restored into a different output directory (a savepoint resumed with a new output path) leaves the
 * part files it pre-committed to the directory they were written in — the run that took the savepoint published
 * them there once the savepoint completed — and the new directory receives the output after the savepoint, its
 * part files numbered on from the savepoint's sequence number. If the new directory is a copy of the old one that
 * holds such a pre-committed file still unpublished, it is published there.
 */
export class PartFileWriter<T> implements SinkWriter<T> {
  private current: BufferedFileWriter | undefined;
  private currentName = '';
  private seq = 0;
  private recovered = false;
  private readonly absDir: string;

  constructor(
    private readonly dir: string,
    private readonly subtask: number,
    private readonly extension: string,
    private readonly formatter: PartLineFormatter<T>,
  ) {
    this.absDir = resolve(dir);
  }

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
    const committable: PartFileCommittable = {
      pending: this.currentName,
      final: `part-${this.subtask}-${pad(this.seq)}${this.extension}`,
      dir: this.absDir,
    };
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
        const done = await exists(to);
        if (!done) throw new Error(`cannot publish part file '${to}': ${(e as Error).message}`, { cause: e });
      }
    }
    if (committables.length > 0) await syncDirectory(this.dir);
  }

  snapshotState(): PartFileWriterState {
    return { nextSeq: this.seq, subtask: this.subtask };
  }

  async recover(committables: readonly unknown[], states: readonly unknown[], restored = false): Promise<void> {
    this.recovered = true;
    await mkdir(this.dir, { recursive: true });
    const here: PartFileCommittable[] = [];
    for (const c of committables as PartFileCommittable[]) {
      // Another directory's pre-committed file is published here only if this directory is a copy holding it.
      if (c.dir === undefined || c.dir === this.absDir || (await exists(join(this.dir, c.pending)))) here.push(c);
    }
    await this.commit(here);
    const names = await readdir(this.dir);
    // Per subtask index whose files this writer answers for (its own, and after a restore at a lower parallelism
    // those of the earlier subtasks it took over): the first sequence number produced after the checkpoint.
    const firstAfter = new Map<number, number>();
    for (const s of states as PartFileWriterState[]) {
      const index = s.subtask ?? this.subtask; // checkpoints written before the index was recorded
      firstAfter.set(index, Math.max(firstAfter.get(index) ?? 0, s.nextSeq));
    }
    if (!firstAfter.has(this.subtask)) {
      // Restored without a state of this index (the parallelism went up): what an earlier subtask of this index
      // published before the parallelism went down is output of the job, kept, and numbered on from. From the
      // beginning (no restore): every part file is redone.
      const published = names.map((n) => this.publishedSeq(n, this.subtask)).filter((n) => n !== undefined);
      firstAfter.set(this.subtask, restored ? Math.max(-1, ...published) + 1 : 0);
    }
    for (const name of names) {
      for (const [index, first] of firstAfter) {
        const seq = this.publishedSeq(name, index);
        if (new RegExp(`^\\.part-${index}-\\d+\\.inprogress$`).test(name) || (seq !== undefined && seq >= first)) {
          await rm(join(this.dir, name), { force: true });
        }
      }
    }
    this.seq = firstAfter.get(this.subtask)!;
  }

  /** The sequence number of a published part file of subtask `index`, or undefined for other names. */
  private publishedSeq(name: string, index: number): number | undefined {
    const m = new RegExp(`^part-${index}-(\\d{6,})${escapeRegExp(this.extension)}$`).exec(name);
    return m === null ? undefined : Number(m[1]);
  }

  async flush(): Promise<void> {
    await this.current?.flush();
  }

  async close(): Promise<void> {
    // An unfinished part file stays hidden; the next run's recovery deletes it.
    await this.current?.close();
  }
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function syncDirectory(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
