import assert from 'node:assert/strict';
import { keyGroupOf, keyGroupRange, normalizeKey } from '../src/core/key.js';
import type { AggregatingState, ListState, MapState, ValueState } from '../src/index.js';
import { aggregatingState, listState, mapState, valueState } from '../src/index.js';
import { HeapKeyedStateBackend } from '../src/state/heap-keyed-state-backend.js';

/**
 * A brute-force model of heap keyed state for the checkpoint property tests: random updates, deletes, in-place
 * accumulator changes and TTL expiry applied both to backends of a simulated cluster (one per subtask, owning its
 * key groups) and to plain Maps, and a check that the two agree.
 */

export const MAX_P = 128;
export const KEYS = 4000;
export const NAMESPACES = ['', 'w1', 'w2'];
export const TTL_MS = 40;

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export interface Model {
  value: Map<string, { n: number; s: string }>;
  ttl: Map<string, { v: number; exp: number }>;
  list: Map<string, number[]>;
  map: Map<string, Map<number, number>>;
  agg: Map<string, number>;
}
export const emptyModel = (): Model => ({
  value: new Map(),
  ttl: new Map(),
  list: new Map(),
  map: new Map(),
  agg: new Map(),
});
export const copyModel = (m: Model): Model => structuredClone(m);

/** One subtask's backend and its state objects. */
export class Node {
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
    rewritePassLinks?: number,
  ) {
    // Slices of 0 ms: collection yields every 256 entries, so changes interleave with it.
    const b = new HeapKeyedStateBackend(MAX_P, start, end, clock, { sliceMs: 0, rewritePassLinks });
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

export function cluster(p: number, clock: () => number, rewritePassLinks?: number): Node[] {
  return Array.from({ length: p }, (_, i) => {
    const [start, end] = keyGroupRange(i, MAX_P, p);
    return new Node(start, end, clock, rewritePassLinks);
  });
}

export function owner(nodes: Node[], key: number): Node {
  const kg = keyGroupOf(normalizeKey(key), MAX_P);
  return nodes.find((n) => kg >= n.start && kg < n.end)!;
}

export function step(nodes: Node[], model: Model, r: () => number, now: number): void {
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

export function check(nodes: Node[], model: Model, now: number, where: string): void {
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
