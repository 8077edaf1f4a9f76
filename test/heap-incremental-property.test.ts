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

/** Subtask `index` of `parallelism`'s state file of checkpoint `id`, holding one operator's link and chain. */
function stateFile(id: number, index: number, parallelism: number, keyed: KeyedLink, chain: LinkRef[]): Buffer {
  const s: SubtaskSnapshot = {
    checkpointId: id,
    vertexId: 1,
    vertexName: 'v',
    subtaskIndex: index,
    parallelism,
    finished: false,
    operators: { op: { keyed, keyedChain: chain } },
  };
  return Buffer.concat([...encodeSnapshot(s)]);
}

/** A checkpoint of every node: links taken now, collected while `during` more steps run, encoded as state files. */
async function take(
  nodes: Node[],
  trackers: IncrementalTracker[],
  id: number,
  full: boolean,
  during: () => Promise<void>,
  stats: { deltas: number; fulls: number; longestChain: number },
): Promise<Map<string, Buffer>> {
  const links = nodes.map((n, i) => trackers[i]!.take(n.backend, id, `s-${i}`, full));
  await during();
  const files = new Map<string, Buffer>();
  for (let i = 0; i < nodes.length; i++) {
    const keyed = await links[i]!.link;
    if (keyed.baseVersion === null) stats.fulls++;
    else stats.deltas++;
    stats.longestChain = Math.max(stats.longestChain, links[i]!.chain.length + 1);
    files.set(`${id}/s-${i}`, stateFile(id, i, nodes.length, keyed, links[i]!.chain));
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

// Passes of 3 links rewrite a third of the entries with every delta, so chains are cut after a pass many times
// (starting with a delta), and passes meet abandoned and overlapping links; 100 is the default, 0 none.
for (const [seed, passLinks] of [
  [10, 0],
  [11, 100],
  [12, 100],
  [13, 3],
  [14, 3],
  [15, 5],
]) {
  test(`incremental heap checkpoints restore to the model at any completed checkpoint and parallelism (seed ${seed}, passes of ${passLinks} links)`, async () => {
    const r = rng(seed!);
    const clock = { now: 1000 };
    let nodes = cluster(2, () => clock.now, passLinks);
    let trackers = nodes.map(() => new IncrementalTracker());
    let model = emptyModel();
    const store = new Map<string, Buffer>();
    const completed: Taken[] = [];
    const stats = { deltas: 0, fulls: 0, longestChain: 0 };
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
        nodes = cluster(p, () => clock.now, passLinks);
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
    // A chain holds one to two passes (and the links of overlapping checkpoints) once passes complete.
    if (passLinks! > 0 && passLinks! < 10)
      assert.ok(stats.longestChain <= 3 * passLinks!, `longest chain ${stats.longestChain}`);
  });
}

test('a delta holds only the entries changed since the last completed link, with tombstones of removed ones', async () => {
  const b = new HeapKeyedStateBackend(MAX_P, 0, MAX_P, Date.now, { rewritePassLinks: 0 });
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

test('a rewrite pass carries every entry in shares, after which the chain starts at the pass and needs no full link', async () => {
  const b = new HeapKeyedStateBackend(MAX_P, 0, MAX_P, Date.now, { rewritePassLinks: 4 });
  const v = b.getState<{ update(x: unknown): void; clear(): void }>(valueState('v'));
  const set = (k: number, value: number) => {
    b.setCurrentKey(k);
    v.update({ value });
  };
  for (let k = 0; k < 1000; k++) set(k, 0);
  const tracker = new IncrementalTracker();
  const links = new Map<string, KeyedLink>();
  const chains: LinkRef[][] = [];
  for (let id = 1; id <= 12; id++) {
    set(id, id); // one change per checkpoint
    const { link, chain } = tracker.take(b, id, 's', false);
    const keyed = (await link) as KeyedLink;
    links.set(`${id}`, keyed);
    chains.push(chain);
    tracker.complete(id, b);
    const rows = Object.values(unpackSnapshot(keyed).states.v ?? {}).flat().length;
    if (id === 1) assert.equal(rows, 1000, 'the first link is full');
    // Each delta: its change and a quarter of the entries (the share rounds up; a change may fall in the share).
    else assert.ok(rows >= 250 && rows <= 251, `link ${id} holds ${rows} entries`);
  }
  // Only the first link is full; the chain was cut once a pass was complete and stays within two passes.
  assert.deepEqual(
    [...links.values()].map((l) => l.baseVersion === null),
    [true, ...Array(11).fill(false)],
  );
  const last = chains[chains.length - 1]!;
  assert.ok(last.length >= 4 && last.length < 8, `chain of ${last.length} links`);
  assert.ok(last[0]!.checkpointId > 1, 'the full link is no longer referenced');
  // Restoring the last checkpoint from its chain gives every entry's latest value.
  const file = (id: number, chain: LinkRef[] = []) => decodeSnapshot(stateFile(id, 0, 1, links.get(`${id}`)!, chain));
  const op = file(12, last).operators.op!;
  await resolveChain('op', op, async (ref) => file(ref.checkpointId));
  const restored = new HeapKeyedStateBackend(MAX_P, 0, MAX_P);
  restored.restore(op.keyed!, true);
  const rv = restored.getState<{ value(): unknown }>(valueState('v'));
  for (let k = 0; k < 1000; k++) {
    restored.setCurrentKey(k);
    assert.deepEqual(rv.value(), { value: k >= 1 && k <= 12 ? k : 0 }, `key ${k}`);
  }
});

test('a state changing fast relative to its size gets larger rewrite shares instead of full links', async () => {
  const b = new HeapKeyedStateBackend(MAX_P, 0, MAX_P, Date.now, { rewritePassLinks: 100 });
  const v = b.getState<{ update(x: unknown): void }>(valueState('v'));
  const tracker = new IncrementalTracker();
  let fulls = 0;
  let longest = 0;
  for (let id = 1; id <= 200; id++) {
    // A fifth of 1,000 keys change between checkpoints: 100 links of such deltas hold twenty times the state.
    for (let i = 0; i < 200; i++) {
      b.setCurrentKey((id * 211 + i * 7) % 1000);
      v.update(id);
    }
    const { link, chain } = tracker.take(b, id, 's', false);
    if ((await link).baseVersion === null) fulls++;
    longest = Math.max(longest, chain.length + 1);
    tracker.complete(id, b);
  }
  assert.equal(fulls, 1, 'only the first link is full');
  assert.ok(longest <= 12, `chains of at most ${longest} links`);
});
