import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from '../core/process-alive.js';
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
    const directory = join(
      scratchRoot(config),
      place.executionId,
      `${place.vertex}-${place.subtask}-${place.operator}`,
    );
    return new DiskKeyedStateBackend(config.maxParallelism, keyGroupStart, keyGroupEnd, clock, { directory });
  }
  return new HeapKeyedStateBackend(config.maxParallelism, keyGroupStart, keyGroupEnd, clock);
}

function scratchRoot(config: JobConfig): string {
  return config.stateDir ?? join(tmpdir(), 'sluice-state');
}

/**
 * Claims the disk backend's scratch folder of this run (marked with this process's pid) and removes the folders of
 * runs whose process is gone — a run killed with -9 cannot clean up after itself. Returns the function that removes
 * this run's folder at the end. Does nothing for the heap backend.
 */
export async function claimScratch(config: JobConfig, executionId: string): Promise<() => Promise<void>> {
  if (config.stateBackend !== 'disk') return async () => {};
  const root = scratchRoot(config);
  const mine = join(root, executionId);
  await mkdir(mine, { recursive: true });
  await writeFile(join(mine, 'owner.pid'), `${process.pid}\n`);
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (name === executionId) continue;
    const owner = Number((await readFile(join(root, name, 'owner.pid'), 'utf8').catch(() => '')).trim());
    if (!(owner > 0 && isProcessAlive(owner))) await rm(join(root, name), { recursive: true, force: true });
  }
  return () => rm(mine, { recursive: true, force: true });
}
