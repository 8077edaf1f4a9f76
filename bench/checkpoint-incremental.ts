import { cpuUsage } from 'node:process';
import { valueState } from '../src/index.js';
import { IncrementalTracker } from '../src/runtime/checkpoint/incremental.js';
import { encodeSnapshot, type SubtaskSnapshot } from '../src/runtime/checkpoint/snapshot.js';
import { HeapKeyedStateBackend } from '../src/state/heap-keyed-state-backend.js';

/**
 * Incremental against full heap checkpoints, in CPU on one thread (so it can be measured on a loaded machine): `keys`
 * keys hold a ~`bytes`-byte object in ValueState; between two checkpoints `changed` random keys are updated. Each
 * checkpoint is taken as the runtime does (a link from the incremental tracker, encoded as a state file) and
 * completed. Variants alternate per round: `full` (every link a full one, as without incremental snapshots) and
 * `incremental`. Also reports the CPU per state update with change logging on (after an incremental snapshot) and
 * off (a backend that only takes `snapshotAsync`), interleaved.
 * Usage: tsx bench/checkpoint-incremental.ts [keys] [bytes] [changed] [rounds]
 */
const keys = Number(process.argv[2] ?? 200_000);
const bytes = Number(process.argv[3] ?? 200);
const changed = Number(process.argv[4] ?? 2000);
const rounds = Number(process.argv[5] ?? 4);
const CHECKPOINTS = 10;

const cpu = (f: () => Promise<void> | void) => async () => {
  const c0 = cpuUsage();
  await f();
  const c = cpuUsage(c0);
  return (c.user + c.system) / 1e3;
};

function filled(): { b: HeapKeyedStateBackend; update: (k: number, n: number) => void } {
  const b = new HeapKeyedStateBackend(128, 0, 128);
  const v = b.getState<{ update(x: unknown): void }>(valueState('slot'));
  const pad = 'x'.repeat(bytes);
  const update = (k: number, n: number) => {
    b.setCurrentKey(k);
    v.update({ n, pad: `${k}${pad}` });
  };
  for (let k = 0; k < keys; k++) update(k, 0);
  return { b, update };
}

let seed = 7;
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x80000000;
};

/** CPU ms per checkpoint (take, collect, encode) and bytes per checkpoint, after a first full one. */
async function checkpoints(full: boolean): Promise<{ ms: number; bytes: number }> {
  const { b, update } = filled();
  const tracker = new IncrementalTracker();
  let ms = 0;
  let total = 0;
  for (let id = 0; id <= CHECKPOINTS; id++) {
    for (let i = 0; i < changed; i++) update(Math.floor(random() * keys), id);
    const took = await cpu(async () => {
      const { link, chain } = tracker.take(b, id, 's', full);
      const s: SubtaskSnapshot = {
        checkpointId: id,
        vertexId: 1,
        vertexName: 'v',
        subtaskIndex: 0,
        parallelism: 1,
        finished: false,
        operators: { op: { keyed: await link, keyedChain: chain } },
      };
      let n = 0;
      for (const frame of encodeSnapshot(s)) n += frame.length;
      if (id > 0) total += n;
    })();
    tracker.complete(id, b);
    if (id > 0) ms += took;
  }
  return { ms: ms / CHECKPOINTS, bytes: total / CHECKPOINTS };
}

/** CPU ns per update of random keys, with change logging on or off. */
async function updates(logging: boolean): Promise<number> {
  const { b, update } = filled();
  if (logging) await b.snapshotIncremental();
  else await b.snapshotAsync();
  const n = 2_000_000;
  const ms = await cpu(() => {
    for (let i = 0; i < n; i++) update(Math.floor(random() * keys), i);
  })();
  return (ms * 1e6) / n;
}

const res = { full: [] as number[], inc: [] as number[], fullB: 0, incB: 0, off: [] as number[], on: [] as number[] };
for (let r = 0; r < rounds; r++) {
  const f = await checkpoints(true);
  const i = await checkpoints(false);
  res.full.push(f.ms);
  res.inc.push(i.ms);
  res.fullB = f.bytes;
  res.incB = i.bytes;
  res.off.push(await updates(false));
  res.on.push(await updates(true));
  console.log(
    `round ${r + 1}: per checkpoint full ${f.ms.toFixed(1)} ms CPU (${(f.bytes / 2 ** 20).toFixed(1)} MiB), ` +
      `incremental ${i.ms.toFixed(1)} ms CPU (${(i.bytes / 2 ** 20).toFixed(2)} MiB); per update: logging off ` +
      `${res.off.at(-1)!.toFixed(0)} ns, on ${res.on.at(-1)!.toFixed(0)} ns CPU`,
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(
  `${keys} keys x ~${bytes} B, ${changed} changed per checkpoint; medians: full ${median(res.full).toFixed(1)} ms, ` +
    `incremental ${median(res.inc).toFixed(1)} ms CPU per checkpoint; update ${median(res.off).toFixed(0)} ns ` +
    `without, ${median(res.on).toFixed(0)} ns with change logging`,
);
