import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { SluiceError } from '../../core/errors.js';
import type { JobPlan } from '../../plan/job-plan.js';
import type { CheckpointMetadata } from './checkpoint-storage.js';

/**
 * Which job a checkpoint belongs to, and whether its state fits the job being started.
 *
 * A checkpoint's metadata records the job's name (the job file as given to `sluice run`) and a fingerprint of its
 * plan: the operators' uids and kinds and the edges between them. User code is not part of it, so a job whose
 * functions changed but whose uids and topology did not is the same job. A checkpoint directory is refused to
 * another job: one whose plan fingerprint differs *and* whose file name (without directory and extension) differs.
 * A job of the same name with a changed plan is a new version of it and may restore, as long as every piece of
 * state maps to an operator uid of the new plan (operators new in the plan start empty); state of operators that are
 * gone is refused unless non-restored state is allowed (Flink's `--allowNonRestoredState`).
 */

/** A fingerprint of a plan's shape: operator uids and kinds and the edges between them, not user code. */
export function planFingerprint(plan: JobPlan): string {
  const lines = plan.nodes.map(
    (n) =>
      `${n.uid} ${n.kind} <- ${n.inputs
        .map((i) => `${i.node.uid}/${i.partitioning?.kind ?? 'forward'}${i.sideOutput ? `/${i.sideOutput.id}` : ''}`)
        .join(',')}`,
  );
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex').slice(0, 16);
}

/** The job's name for identity: the job file's name without directory and extension (`q5` for bench/nexmark/q5.ts). */
export function jobBaseName(job: string): string {
  return basename(job, extname(job));
}

/**
 * Refuses a checkpoint directory whose newest checkpoint was written by another job (see above). Checkpoints of
 * older versions, which recorded no fingerprint, are not checked.
 */
export function checkJobIdentity(checkpointDir: string, metadata: CheckpointMetadata, plan: JobPlan): void {
  if (metadata.jobFingerprint === undefined) return;
  if (metadata.jobFingerprint === planFingerprint(plan)) return;
  if (jobBaseName(metadata.job) === jobBaseName(plan.name)) return;
  throw new SluiceError(
    `checkpoint directory ${checkpointDir} holds checkpoints of job ${metadata.job}, not of ${plan.name} ` +
      `(their operators differ): give this job its own --checkpoint-dir, or pass --fresh to delete them`,
  );
}

/**
 * Refuses state of operator uids that are not in `plan` (it would be dropped silently), naming them, unless
 * `allowNonRestored`; then it reports what is skipped through `log`.
 */
export function checkStateMapping(
  from: string,
  metadata: CheckpointMetadata,
  plan: JobPlan,
  allowNonRestored: boolean,
  log: (line: string) => void,
): void {
  const uids = new Set(plan.nodes.map((n) => n.uid));
  const unmapped = [...new Set(metadata.files.flatMap((f) => f.operators))].filter((u) => !uids.has(u)).sort();
  if (unmapped.length === 0) return;
  const list = unmapped.map((u) => `'${u}'`).join(', ');
  if (allowNonRestored) {
    log(`warning: state of operator uid ${list} in ${from} matches no operator of this job; it is not restored`);
    return;
  }
  throw new SluiceError(
    `${from} holds state of operator uid ${list}, which matches no operator of this job: give the operator that ` +
      `should own it that uid with .uid(...), or pass --allow-non-restored-state to drop that state`,
  );
}
