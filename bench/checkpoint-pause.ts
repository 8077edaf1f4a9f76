import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cpuUsage } from 'node:process';
import {
  type CheckpointStats,
  type KeyedProcessFunction,
  type RuntimeContext,
  StreamExecutionEnvironment,
  type ValueState,
  valueState,
} from '../src/index.js';
import {
  checkpointDirName,
  findLatestCheckpoint,
  readStateFile,
} from '../src/runtime/checkpoint/checkpoint-storage.js';
import { resolveChain } from '../src/runtime/checkpoint/incremental.js';
import { decodeSnapshot } from '../src/runtime/checkpoint/snapshot.js';
import { HeapKeyedStateBackend } from '../src/state/heap-keyed-state-backend.js';

/**
 * Large heap state under checkpoints: `keys` keys each holding a ~`bytes`-byte object in ValueState, updated by a
 * steady stream; a checkpoint every 2 s. Reports the event loop's longest stall with and without checkpoints (the
 * time processing stops), checkpoint durations and sizes, and the time to restore the last checkpoint.
 * Usage: tsx bench/checkpoint-pause.ts [keys] [bytes]
 */
const keys = Number(process.argv[2] ?? 1_000_000);
const bytes = Number(process.argv[3] ?? 1000);
const records = keys * 3;

interface Slot {
  n: number;
  pad: string;
}

/** Keeps a ~`pad`-sized object per key and replaces it on every record. */
class Touch implements KeyedProcessFunction<number, number, number> {
  private state!: ValueState<Slot>;
  constructor(private readonly pad: string) {}
  open(ctx: RuntimeContext): void {
    this.state = ctx.getState(valueState<Slot>('slot'));
  }
  processElement(k: number): void {
    const s = this.state.value();
    // A fresh string per key so the state really holds `bytes` per key.
    this.state.update(s === undefined ? { n: 1, pad: `${k}${this.pad}` } : { n: s.n + 1, pad: s.pad });
  }
}

async function run(
  checkpointMs: number | undefined,
  dir: string,
  fresh = true,
): Promise<{ maxStallMs: number; seconds: number; stats: CheckpointStats[] }> {
  const env = StreamExecutionEnvironment.create({ parallelism: 1 });
  if (checkpointMs !== undefined) env.enableCheckpointing(checkpointMs, dir, { timeoutMs: 600_000 });
  const pad = 'x'.repeat(bytes);
  env
    .fromGenerator((i) => i % keys, { count: records })
    .keyBy((k) => k)
    .process<number>(new Touch(pad))
    .discard();
  const h = monitorEventLoopDelay({ resolution: 5 });
  const stats: CheckpointStats[] = [];
  const t0 = performance.now();
  h.enable();
  await env.execute('pause', { onCheckpoint: (s) => stats.push(s), fresh, log: () => {} });
  h.disable();
  return { maxStallMs: h.max / 1e6, seconds: (performance.now() - t0) / 1000, stats };
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-pause-'));
const base = await run(undefined, dir);
console.log(
  `${keys} keys x ~${bytes} B, ${records} records, no checkpoints: ${base.seconds.toFixed(1)} s, longest stall ${base.maxStallMs.toFixed(0)} ms`,
);
const withCk = await run(2000, dir);
const sizes = withCk.stats.map((s) => s.bytes);
console.log(
  `with a checkpoint every 2 s: ${withCk.seconds.toFixed(1)} s, longest stall ${withCk.maxStallMs.toFixed(0)} ms, ${withCk.stats.length} checkpoints, ` +
    `durations ${withCk.stats.map((s) => s.durationMs).join('/')} ms, largest ${(Math.max(...sizes) / 2 ** 20).toFixed(0)} MiB`,
);
// Restore alone, as a restoring run does it: read and verify the newest checkpoint's files, decode them and load the
// keyed state into a heap backend.
{
  const c0 = cpuUsage();
  const t0 = performance.now();
  const latest = await findLatestCheckpoint(dir, () => {});
  if (latest === undefined) throw new Error('no checkpoint to restore');
  const backend = new HeapKeyedStateBackend(128, 0, 128);
  let entries = 0;
  for (const ref of latest.metadata.files) {
    const snapshot = decodeSnapshot(await readStateFile(latest.dir, ref));
    for (const [uid, op] of Object.entries(snapshot.operators)) {
      // An incremental link: read and apply the chain, as Executor.restore does.
      await resolveChain(uid, op, async (link) =>
        decodeSnapshot(
          await readStateFile(join(dir, checkpointDirName(link.checkpointId)), {
            name: link.name,
            size: link.size!,
            sha256: link.sha256!,
            operators: [],
          }),
        ),
      );
      if (op.keyed !== undefined) backend.restore(op.keyed, true);
    }
  }
  entries = backend.approximateEntries();
  const c = cpuUsage(c0);
  console.log(
    `restore alone (read, verify, decode, load ${entries} entries): ${((performance.now() - t0) / 1000).toFixed(1)} s, ` +
      `${((c.user + c.system) / 1e6).toFixed(1)} s CPU`,
  );
  backend.dispose();
}
// Restoring the final checkpoint: the whole state is read back, then a final checkpoint is written again.
const restored = await run(2000, dir, false);
console.log(
  `restore of that state and a new final checkpoint: ${restored.seconds.toFixed(1)} s (upper bound of the restore time)`,
);
rmSync(dir, { recursive: true, force: true });
