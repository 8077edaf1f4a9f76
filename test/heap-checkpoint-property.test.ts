import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serialize } from 'node:v8';
import { keyGroupOf, normalizeKey } from '../src/core/key.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  type SubtaskSnapshot,
  timerColumns,
} from '../src/runtime/checkpoint/snapshot.js';
import { check, cluster, copyModel, emptyModel, MAX_P, type Model, type Node, rng, step } from './heap-state-model.js';

/**
 * Heap keyed state through checkpoint files, against a brute-force model: random updates, deletes, in-place
 * accumulator changes and TTL expiry go on while asynchronous snapshots are collected; every snapshot is written with
 * the state-file codec, and at random checkpoints the "process" dies and the state is restored from the files into
 * another parallelism, where it must equal the model as of that checkpoint.
 */

/** Takes asynchronous snapshots of every node while `ops` more random steps run; returns the encoded state files. */
async function checkpoint(nodes: Node[], model: Model, r: () => number, clock: { now: number }): Promise<Buffer[]> {
  const pending = nodes.map((n) => n.backend.snapshotAsync());
  for (let i = 0; i < 3000; i++) {
    step(nodes, model, r, clock.now);
    if (i % 300 === 0) await new Promise((res) => setImmediate(res));
  }
  const snaps = await Promise.all(pending);
  return snaps.map((keyed, i) => {
    const s: SubtaskSnapshot = {
      checkpointId: 1,
      vertexId: 1,
      vertexName: 'v',
      subtaskIndex: i,
      parallelism: nodes.length,
      finished: false,
      operators: { op: { keyed } },
    };
    return Buffer.concat([...encodeSnapshot(s)]);
  });
}

for (const seed of [1, 2, 3]) {
  test(`heap state through checkpoint files equals the model across crashes and rescaling (seed ${seed})`, async () => {
    const r = rng(seed);
    const clock = { now: 1000 };
    let nodes = cluster(2, () => clock.now);
    let model = emptyModel();
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 6000; i++) {
        step(nodes, model, r, clock.now);
        if (i % 1000 === 0) clock.now += 7;
      }
      // The model as of the checkpoint's start: steps during the collection are not part of it.
      const atCheckpoint = copyModel(model);
      const files = await checkpoint(nodes, model, r, clock);
      clock.now += 5;
      if (r() < 0.6) {
        // Crash: restore every file into a new parallelism.
        const p = 1 + Math.floor(r() * 3);
        nodes = cluster(p, () => clock.now);
        for (const f of files) {
          const keyed = decodeSnapshot(f).operators.op!.keyed!;
          for (const n of nodes) n.backend.restore(keyed, true);
        }
        model = atCheckpoint;
        check(nodes, model, clock.now, `seed ${seed} round ${round} restored at p=${p}`);
      }
    }
    check(nodes, model, clock.now, `seed ${seed} end`);
  });
}

test('timers in columns round-trip, and state files of the earlier format (rows, timer objects) still decode', () => {
  const timers = [
    { key: 'a', namespace: 'w1', time: 5, keyGroup: -1 },
    { key: 7, namespace: 'w1', time: 6, keyGroup: -1 },
    { key: ['x', 1], namespace: '', time: 9, keyGroup: -1 },
  ];
  const cols = timerColumns(timers, MAX_P);
  // Key groups not known yet are computed from the key, and kept on the timer.
  assert.deepEqual(
    timers.map((t) => t.keyGroup),
    timers.map((t) => keyGroupOf(normalizeKey(t.key), MAX_P)),
  );
  const s: SubtaskSnapshot = {
    checkpointId: 3,
    vertexId: 2,
    vertexName: 'v',
    subtaskIndex: 0,
    parallelism: 1,
    finished: true,
    operators: { op: { timers: [cols], keyed: { maxParallelism: MAX_P, states: { s: { 3: [['k', '', 1]] } } } } },
  };
  const back = decodeSnapshot(Buffer.concat([...encodeSnapshot(s)]));
  assert.deepEqual(back.operators.op!.timers, [cols]);
  assert.deepEqual(back.operators.op!.keyed!.states, { s: { 3: [['k', '', 1]] } });

  // The earlier format: timers as objects in the skeleton, keyed entries in row pieces.
  const frame = (v: unknown) => {
    const b = serialize(v);
    const h = Buffer.alloc(4);
    h.writeUInt32BE(b.length);
    return Buffer.concat([h, b]);
  };
  const rows = timers.map((t) => ({ ...t, keyGroup: keyGroupOf(normalizeKey(t.key), MAX_P) }));
  const old = Buffer.concat([
    frame({
      ...s,
      operators: { op: { timers: [rows], keyed: { maxParallelism: MAX_P, states: { s: {} } } } },
    }),
    frame({ uid: 'op', state: 's', keyGroup: 3, entries: [['k', '', 1]] }),
  ]);
  const decoded = decodeSnapshot(old);
  assert.deepEqual(decoded.operators.op!.timers, [cols]);
  assert.deepEqual(decoded.operators.op!.keyed!.states, { s: { 3: [['k', '', 1]] } });
});
