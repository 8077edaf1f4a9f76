import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Service-side job states; Flink's names, as `/jobs/overview` shows them. */
export type JobState = 'RUNNING' | 'RESTARTING' | 'FINISHED' | 'FAILED' | 'CANCELED';

/** A savepoint the service asked a job for (`request-id` → outcome), kept with the job. */
export interface SavepointRecord {
  id: string;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  location?: string;
  failure?: string;
}

/** `DATA/jobs/JID/meta.json`: what the service knows of a job, written atomically on every change. */
export interface JobMeta {
  id: string;
  name: string;
  /** The submitted request, as validated (file resolved to an absolute path); rescaling updates its parallelism. */
  request: Record<string, unknown>;
  status: JobState;
  submitTime: number;
  /** Start of the current run. */
  startTime: number;
  endTime?: number;
  exitCode?: number | null;
  signal?: string | null;
  /** Why the job failed or was cancelled, in one line. */
  reason?: string;
  /** Runs of the child so far (1 + resumes after a service restart + rescales). */
  runs: number;
  /** The current child's pid while it runs. */
  pid?: number;
  savepoints: SavepointRecord[];
}

/**
 * The data directory: `DATA/jobs/JID/` per job holding `meta.json`, `job.json` (the child's documents),
 * `logs.jsonl` (structured log lines), `stdout.log`/`stderr.log` (+ `.1` previous generation), `job.sql` for SQL
 * submissions, `web-port` (the child's REST port while it runs) and `savepoints/`.
 */
export class JobStore {
  readonly jobsDir: string;

  constructor(readonly dataDir: string) {
    this.jobsDir = join(dataDir, 'jobs');
    mkdirSync(this.jobsDir, { recursive: true });
  }

  /** The directory of job `id` (created). */
  dir(id: string): string {
    const d = join(this.jobsDir, id);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** A file of job `id`. */
  file(id: string, name: string): string {
    return join(this.jobsDir, id, name);
  }

  /** Writes meta.json atomically (temporary file, rename), so a crash never leaves half a file. */
  save(meta: JobMeta): void {
    const d = this.dir(meta.id);
    writeFileSync(join(d, 'meta.json.tmp'), `${JSON.stringify(meta, null, 2)}\n`);
    renameSync(join(d, 'meta.json.tmp'), join(d, 'meta.json'));
  }

  /**
   * Every job with a readable meta.json, oldest submission first. Directories without one (a submission cut short)
   * are reported through `warn` and skipped.
   */
  loadAll(warn: (message: string) => void): JobMeta[] {
    const out: JobMeta[] = [];
    for (const id of readdirSync(this.jobsDir)) {
      const path = join(this.jobsDir, id, 'meta.json');
      if (!existsSync(path)) {
        warn(`job directory ${join(this.jobsDir, id)} has no meta.json; skipped`);
        continue;
      }
      try {
        out.push(JSON.parse(readFileSync(path, 'utf8')) as JobMeta);
      } catch (e) {
        warn(`cannot read ${path}: ${(e as Error).message}; skipped`);
      }
    }
    return out.sort((a, b) => a.submitTime - b.submitTime);
  }

  /** Deletes job `id` and everything kept of it. */
  remove(id: string): void {
    rmSync(join(this.jobsDir, id), { recursive: true, force: true });
  }
}
