import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jobJson } from './job-documents.js';
import type { JobMonitor } from './job-monitor.js';

/** Writes `dir/job.json` (see {@link jobJson}) atomically: a temporary file renamed over the old one. */
export async function writeJobJson(dir: string, monitor: JobMonitor): Promise<void> {
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.job.json.${process.pid}.tmp`);
  await writeFile(temp, `${JSON.stringify(jobJson(monitor))}\n`);
  await rename(temp, join(dir, 'job.json'));
}

/**
 * Keeps `dir/job.json` current while the job runs: written now, every `intervalMs` when the model changed, and once
 * more by `stop()` (call it after the job ended, so the last write holds the final state). Write errors go to `log`
 * once each; they never fail the job.
 */
export function startJobJsonWriter(
  dir: string,
  monitor: JobMonitor,
  log: (line: string) => void,
  intervalMs = 2000,
): { stop(): Promise<void> } {
  let written = -1;
  let writing: Promise<void> = Promise.resolve();
  const reported = new Set<string>();
  const write = () => {
    const version = monitor.version;
    writing = writing
      .then(() => writeJobJson(dir, monitor))
      .then(
        () => {
          written = version;
        },
        (e: Error) => {
          if (reported.has(e.message)) return;
          reported.add(e.message);
          log(`warning: cannot write ${join(dir, 'job.json')}: ${e.message}`);
        },
      );
    return writing;
  };
  void write();
  const timer = setInterval(() => {
    if (monitor.version !== written) void write();
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return write();
    },
  };
}
