import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../../core/errors.js';
import {
  type CheckpointMetadata,
  CorruptCheckpointError,
  checkpointDirName,
  findLatestCheckpoint,
  listCheckpointIds,
  readMetadata,
  readStateFile,
} from './checkpoint-storage.js';

/** Where a run restores from. */
export interface RestorePoint {
  dir: string;
  metadata: CheckpointMetadata;
}

export interface RestoreChoice {
  /** Checkpoint directory. */
  checkpointDir: string | undefined;
  /** Ignore existing checkpoints: delete them and start from the beginning. */
  fresh: boolean;
  /** Restore from this savepoint (or checkpoint) directory instead of the latest checkpoint. */
  fromSavepoint: string | undefined;
  /**
   * Checks that the job may restore the chosen point (job identity, state mapping); throws if not. Called before the
   * restore is announced.
   */
  accept?: (point: RestorePoint, savepoint: boolean) => void;
}

/**
 * Decides where a run starts: an explicit savepoint, else the newest complete checkpoint in the checkpoint directory
 * (corrupt ones are reported and skipped), else the beginning. Messages go to `log` (stderr on the CLI).
 */
export async function chooseRestorePoint(
  choice: RestoreChoice,
  log: (line: string) => void,
): Promise<RestorePoint | undefined> {
  if (choice.fromSavepoint !== undefined) {
    const dir = choice.fromSavepoint;
    let point: RestorePoint;
    try {
      const metadata = await readMetadata(dir);
      for (const f of metadata.files) await readStateFile(dir, f);
      point = { dir, metadata };
    } catch (e) {
      const why = e instanceof CorruptCheckpointError ? e.message : String(e);
      throw new SluiceError(`cannot restore from savepoint ${dir}: ${why}`);
    }
    choice.accept?.(point, true);
    log(`restoring from savepoint ${dir} (checkpoint ${point.metadata.checkpointId})`);
    return point;
  }
  if (choice.checkpointDir === undefined) return undefined;
  if (choice.fresh) {
    for (const id of await listCheckpointIds(choice.checkpointDir)) {
      await rm(join(choice.checkpointDir, checkpointDirName(id)), { recursive: true, force: true });
    }
    return undefined;
  }
  const latest = await findLatestCheckpoint(choice.checkpointDir, (line) =>
    log(`warning: ${line}; using an older one`),
  );
  // Newer directories (incomplete or corrupt) stay for inspection; new checkpoints take ids after them.
  if (latest === undefined) return undefined;
  choice.accept?.(latest, false);
  log(`restoring from checkpoint ${latest.metadata.checkpointId} (${latest.dir})`);
  return { dir: latest.dir, metadata: latest.metadata };
}
