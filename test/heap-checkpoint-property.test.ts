import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serialize } from 'node:v8';
import { keyGroupOf, keyGroupRange, normalizeKey } from '../src/core/key.js';
import type { AggregatingState, ListState, MapState, ValueState } from '../src/index.js';
import { aggregatingState, listState, mapState, valueState } from '../src/index.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  type SubtaskSnapshot,
  timerColumns,
} from '../src/runtime/checkpoint/snapshot.js';
import { HeapKeyedStateBackend } from '../src/state/heap-keyed-state-backend.js';

/**
 * Heap keyed state through checkpoint files, against a brute-force model: random updates, deletes, in-place
 * accumulator changes and TTL expiry go on while asynchronous snapshots are collected; every snapshot is written with
 * the state-file codec, and at random checkpoints the "process" dies and the state is restored from the files into
 * another parallelism, where it must equal the model as of that checkpoint.
 */

const MAX_P = 128;
const KEYS = 4000;
const NAMESPACES = ['', 'w1', 'w2'];
const TTL_MS = 40;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Model {
  value: Map<string, { n: number; s: string }>;
  ttl: Map<string, { v: number; exp: number }>;
  list: Map<string, number[]>;
  map: Map<string, Map<number, number>>;
  agg: Map<string, number>;
}
const emptyModel = (): Model => ({ value: new Map(), ttl: new Map(), list: new Map(), map: new Map(), agg: new Map() });
const copyModel = (m: Model): Model => structuredClone(m);

/** One subtask's backend and its state objects. */
class Node {
  readonly backend: HeapKeyedStateBackend;
  readonly value: ValueState<{ n: number; s: string }>;
  readonly ttl: ValueState<number>;
  readonly list: ListState<number>;
  readonly map: MapState<number, number>;
  readonly agg: AggregatingState<number, { sum: number }>;
  constructor(
    readonly start: number,
    readonly end: number,
    clock: () => number,
  ) {
    const b = new HeapKeyedStateBackend(MAX_P, start, end, clock);
    this.backend = b;
    this.value = b.getState(valueState('value'));
    this.ttl = b.getState(valueState('ttl', { ttl: { ttlMs: TTL_MS } }));
    this.list = b.getState(listState('list'));
    this.map = b.getState(mapState('map'));
    this.agg = b.getState(
      aggregatingState('agg', {
        createAccumulator: () => ({ sum: 0 }),
        add: (v: number, a: { sum: number }) => {
          a.sum += v; // in place, as real aggregate functions do
          return a;
        },
        getResult: (a) => a,
      }),
    );
  }
  at(key: number, ns: string): this {
    this.backend.setCurrentKey(key);
    for (const s of [this.value, this.ttl, this.list, this.map, this.agg])
      (s as never as { setNamespace(n: string): void }).setNamespace(ns);
    return this;
  }
}

function cluster(p: number, clock: () => number): Node[] {
  return Array.from({ length: p }, (_, i) => {
    const [start, end] = keyGroupRange(i, MAX_P, p);
    return new Node(start, end, clock);
  });
}

function owner(nodes: Node[], key: number): Node {
  const kg = keyGroupOf(normalizeKey(key), MAX_P);
  return nodes.find((n) => kg >= n.start && kg < n.end)!;
}

function step(nodes: Node[], model: Model, r: () => number, now: number): void {
  const key = Math.floor(r() * KEYS);
  const ns = NAMESPACES[Math.floor(r() * NAMESPACES.length)]!;
  const id = `${key}|${ns}`;
  const n = owner(nodes, key).at(key, ns);
  const x = Math.floor(r() * 1000);
  switch (Math.floor(r() * 9)) {
    case 0:
      n.value.update({ n: x, s: 'y'.repeat(x % 7) });
      model.value.set(id, { n: x, s: 'y'.repeat(x % 7) });
      break;
    case 1:
      n.value.clear();
      model.value.delete(id);
      break;
    case 2:
      n.ttl.update(x);
      model.ttl.set(id, { v: x, exp: now + TTL_MS });
      break;
    case 3:
      n.list.add(x);
      model.list.set(id, [...(model.list.get(id) ?? []), x]);
      break;
    case 4:
      if (x % 3 === 0) {
        n.list.clear();
        model.list.delete(id);
      } else {
        n.list.add(-x);
        model.list.set(id, [...(model.list.get(id) ?? []), -x]);
      }
      break;
    case 5: {
      n.map.put(x % 4, x);
      const m = model.map.get(id) ?? new Map<number, number>();
      m.set(x % 4, x);
      model.map.set(id, m);
      break;
    }
    case 6: {
      n.map.remove(x % 4);
      const m = model.map.get(id);
      m?.delete(x % 4);
      if (m?.size === 0) model.map.delete(id);
      break;
    }
    default:
      n.agg.add(x);
      model.agg.set(id, (model.agg.get(id) ?? 0) + x);
  }
}

function check(nodes: Node[], model: Model, now: number, where: string): void {
  for (let key = 0; key < KEYS; key++) {
    for (const ns of NAMESPACES) {
      const id = `${key}|${ns}`;
      const n = owner(nodes, key).at(key, ns);
      assert.deepEqual(n.value.value(), model.value.get(id), `${where}: value of ${id}`);
      const t = model.ttl.get(id);
      assert.equal(n.ttl.value(), t !== undefined && t.exp > now ? t.v : undefined, `${where}: ttl value of ${id}`);
      assert.deepEqual(n.list.get(), model.list.get(id) ?? [], `${where}: list of ${id}`);
      assert.deepEqual(new Map(n.map.entries()), model.map.get(id) ?? new Map(), `${where}: map of ${id}`);
      const a = model.agg.get(id);
      assert.deepEqual(n.agg.get(), a === undefined ? undefined : { sum: a }, `${where}: aggregate of ${id}`);
    }
  }
}

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
    { key: 'a', namespace: 'w1', time: 5 },
    { key: 7, namespace: 'w1', time: 6 },
    { key: ['x', 1], namespace: '', time: 9 },
  ];
  const cols = timerColumns(timers, (t) => keyGroupOf(normalizeKey(t.key), MAX_P));
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
