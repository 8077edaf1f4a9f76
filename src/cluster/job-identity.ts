import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../core/errors.js';

/** What the shared state directory records about the job it belongs to. */
export interface JobIdentity {
  readonly jobId: string;
  /** The job file, arguments and input topic ids: state of another job is refused rather than mixed up. */
  readonly fingerprint: string;
  /**
   * Random, chosen by the first process ever to start the job with this directory. It is part of the repartition
   * topic names and the consumer group, so a job started over (with an empty directory) never reads records or
   * offsets of an earlier run.
   */
  readonly instance: string;
}

/**
 * Returns the identity recorded in `dir`, recording a new one when there is none. Processes starting at the same
 * moment agree: the record is published with link(2), which fails when another process published first.
 *
 * @throws SluiceError when the directory belongs to another job (another file or other arguments).
 */
export async function claimJobIdentity(dir: string, jobId: string, fingerprint: string): Promise<JobIdentity> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'job.json');
  const mine: JobIdentity = { jobId, fingerprint, instance: randomBytes(4).toString('hex') };
  const tmp = join(dir, `.job.json.${process.pid}.${mine.instance}`);
  await writeFile(tmp, `${JSON.stringify(mine)}\n`);
  try {
    await link(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    await rm(tmp, { force: true });
  }
  let recorded: JobIdentity;
  try {
    recorded = JSON.parse(await readFile(path, 'utf8')) as JobIdentity;
  } catch (e) {
    throw new SluiceError(`${path} is not readable job state (${(e as Error).message}); delete ${dir} to start over`);
  }
  if (recorded.fingerprint !== fingerprint || recorded.jobId !== jobId) {
    throw new SluiceError(
      `job id '${jobId}' is taken in ${dir} by another job (${recorded.fingerprint}); this job is ` +
        `(${fingerprint}): choose another --job-id, or delete ${dir} to start over`,
    );
  }
  return recorded;
}
