import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobConfig } from '../plan/job-plan.js';
import { DiskKeyedStateBackend } from '../state/disk/disk-keyed-state-backend.js';
import { HeapKeyedStateBackend } from '../state/heap-keyed-state-backend.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';

/** Where one operator subtask's keyed state lives. */
export interface BackendPlace {
  executionId: string;
  vertex: number;
  subtask: number;
  operator: number;
  keyGroupStart: number;
  keyGroupEnd: number;
  clock: () => number;
}

/**
 * Creates the keyed state backend the job asked for. The disk backend's directory is scratch space (its content is
 * rebuilt from checkpoints after a failure): under `stateDir`, or the system temp directory, one folder per run and
 * operator subtask.
 */
export function createKeyedStateBackend(config: JobConfig, place: BackendPlace): KeyedStateBackend {
  const { keyGroupStart, keyGroupEnd, clock } = place;
  if (config.stateBackend === 'disk') {
    const root = config.stateDir ?? join(tmpdir(), 'sluice-state');
    const directory = join(root, place.executionId, `${place.vertex}-${place.subtask}-${place.operator}`);
    return new DiskKeyedStateBackend(config.maxParallelism, keyGroupStart, keyGroupEnd, clock, { directory });
  }
  return new HeapKeyedStateBackend(config.maxParallelism, keyGroupStart, keyGroupEnd, clock);
}
