import assert from 'node:assert/strict';
import { test } from 'node:test';
import { valueState } from '../src/index.js';
import {
  IncrementalTracker,
  type KeyedLink,
  type LinkRef,
  resolveChain,
} from '../src/runtime/checkpoint/incremental.js';
import { decodeSnapshot, encodeSnapshot, type SubtaskSnapshot } from '../src/runtime/checkpoint/snapshot.js';
import { HeapKeyedStateBackend } from '../src/state/heap-keyed-state-backend.js';
import { unpackSnapshot } from '../src/state/packed-entries.js';
import { check, cluster, copyModel, emptyModel, MAX_P, type Model, type Node, rng, step } from './heap-state-model.js';

/**
 * Incremental heap checkpoints against a brute-force model: many checkpoints of random updates, deletes, in-place
 * changes and TTL expiry, each written as a link of a chain (a full link, then deltas) through the state-file codec,
 * while the state keeps changing during collection. Some checkpoints are abandoned, some overlap (the next starts
 * before the previous completes), some are savepoints (full). At random moments the "process" dies and restores a
 * random completed checkpoint (not always the newest) into another parallelism, reading the chain from the files.
 */

interface Taken {
  id: number;
  files: Map<string, Buffer>;
  model: Model;
}

/** A checkpoint of every node: links taken now, collected while `during` more steps run, encoded as state files. */
async function take(
  nodes: Node[],
  trackers: IncrementalTracker[],
  id: number,
  full: boolean,
  during: () => Promise<void>,
  stats: { deltas: number; fulls: number },
): Promise<Map<string, Buffer>> {
  const links = nodes.map((n, i) => trackers[i]!.take(n.backend, id, `s-${i}`, full));
  await during();
  const files = new Map<string, Buffer>();
  for (let i = 0; i < nodes.length; i++) {
    const keyed = await links[i]!.link;
    if (keyed.baseVersion === null) stats.fulls++;
    else stats.deltas++;
    const s: SubtaskSnapshot = {
      checkpointId: id,
      vertexId: 1,
      vertexName: 'v',
      subtaskIndex: i,
      parallelism: nodes.length,
      finished: false,
      operators: { op: { keyed, keyedChain: links[i]!.chain } },
    };
    files.set(`${id}/s-${i}`, Buffer.concat([...encodeSnapshot(s)]));
  }
  return files;
}

/** Restores checkpoint `c` (its files, and the earlier files its chains name) into `nodes`. */
async function restore(nodes: Node[], c: Taken, store: Map<string, Buffer>): Promise<void> {
  for (const f of c.files.values()) {
    const op = decodeSnapshot(f).operators.op!;
    await resolveChain('op', op, async (ref: LinkRef) => {
      const bytes = store.get(`${ref.checkpointId}/${ref.name}`);
      assert.ok(bytes, `chain file ${ref.checkpointId}/${ref.name} exists`);
      return decodeSnapshot(bytes);
    });
    for (const n of nodes) n.backend.restore(op.keyed!, true);
  }
}

for (const seed of [11, 12, 13]) {
  test(`incremental heap checkpoints restore to the model at any completed checkpoint and parallelism (seed ${seed})`, async () => {
    const r = rng(seed);
    const clock = { now: 1000 };
    let nodes = cluster(2, () => clock.now);
    let trackers = nodes.map(() => new IncrementalTracker());
    let model = emptyModel();
    const store = new Map<string, Buffer>();
    const completed: Taken[] = [];
    const stats = { deltas: 0, fulls: 0 };
    let id = 0;
    const steps = (n: number) => {
      for (let i = 0; i < n; i++) step(nodes, model, r, clock.now);
    };
    /** Steps while links are collected: collection runs in between. */
    const interleaved = async (n: number) => {
      for (let i = 0; i < n; i += 50) {
        steps(50);
        await new Promise((res) => setImmediate(res));
      }
    };
    steps(20000);
    for (let round = 0; round < 40; round++) {
      steps(200 + Math.floor(r() * 800));
      clock.now += Math.floor(r() * 8);
      const first = { id: ++id, model: copyModel(model), full: r() < 0.08 };
      const taking1 = take(nodes, trackers, first.id, first.full, () => interleaved(300), stats);
      // Sometimes the next checkpoint starts while this one is still collected, and completes (or is abandoned)
      // before or after it.
      let second: (Taken & { full: boolean }) | undefined;
      let taking2: Promise<Map<string, Buffer>> | undefined;
      const s = { id: ++id, model: copyModel(model), full: false };
      if (r() < 0.25) taking2 = take(nodes, trackers, s.id, false, () => interleaved(300), stats);
      else id--;
      const files1 = await taking1;
      for (const [k, v] of files1) store.set(k, v);
      if (taking2 !== undefined) {
        const files2 = await taking2;
        for (const [k, v] of files2) store.set(k, v);
        second = { ...s, files: files2 };
      }
      for (const c of [{ ...first, files: files1 }, ...(second ? [second] : [])]) {
        if (r() < 0.25) continue; // abandoned: never completes
        for (let i = 0; i < nodes.length; i++) trackers[i]!.complete(c.id, nodes[i]!.backend);
        completed.push(c);
      }
      if (completed.length > 0 && r() < 0.2) {
        // Crash: restore a random completed checkpoint (mostly the newest) into a random parallelism.
        const c = r() < 0.7 ? completed[completed.length - 1]! : completed[Math.floor(r() * completed.length)]!;
        const p = 1 + Math.floor(r() * 3);
        nodes = cluster(p, () => clock.now);
        trackers = nodes.map(() => new IncrementalTracker());
        await restore(nodes, c, store);
        model = copyModel(c.model);
        check(nodes, model, clock.now, `seed ${seed} round ${round}: checkpoint ${c.id} restored at p=${p}`);
      }
    }
    check(nodes, model, clock.now, `seed ${seed} end`);
    // Full links: the first after every restore, savepoints, and chains whose deltas add up to the state's size.
    assert.ok(
      stats.deltas * 3 > stats.deltas + stats.fulls,
      `deltas (${stats.deltas}) against full links (${stats.fulls})`,
    );
  });
}

test('a delta holds only the entries changed since the last completed link, with tombstones of removed ones', async () => {
  const b = new HeapKeyedStateBackend(MAX_P, 0, MAX_P);
  const v = b.getState<{ update(x: unknown): void; clear(): void }>(valueState('v'));
  for (let k = 0; k < 10000; k++) {
    b.setCurrentKey(k);
    v.update({ k });
  }
  const tracker = new IncrementalTracker();
  const full = (await tracker.take(b, 1, 's', false).link) as KeyedLink;
  assert.equal(full.baseVersion, null);
  tracker.complete(1, b);
  const change = (ks: number[], value: number) => {
    for (const k of ks) {
      b.setCurrentKey(k);
      v.update({ k: value });
    }
  };
  change([1, 2, 3], -1);
  b.setCurrentKey(4);
  v.clear();
  b.setCurrentKey(20000); // created and removed between the links: no tombstone needed
  v.update(1);
  v.clear();
  // Checkpoint 2 is abandoned: its changes must still reach the delta of checkpoint 3.
  await tracker.take(b, 2, 's', false).link;
  change([5], -2);
  const delta = (await tracker.take(b, 3, 's', false).link) as KeyedLink;
  assert.equal(delta.baseVersion, full.version);
  const rows = unpackSnapshot(delta).states.v!;
  const written = Object.values(rows)
    .flat()
    .map((e) => [e[0], e[2]])
    .sort((x, y) => Number(x[0]) - Number(y[0]));
  assert.deepEqual(written, [
    [1, { k: -1 }],
    [2, { k: -1 }],
    [3, { k: -1 }],
    [5, { k: -2 }],
  ]);
  assert.deepEqual(
    Object.values(delta.removed.v ?? {})
      .flat()
      .map((e) => e[0]),
    [4],
  );
});
