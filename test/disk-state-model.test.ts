import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Key, keyGroupOf, normalizeKey } from '../src/core/key.js';
import { listState, mapState, valueState } from '../src/state/descriptors.js';
import { DiskKeyedStateBackend } from '../src/state/disk/disk-keyed-state-backend.js';
import type { IncrementalKeyedStateSnapshot } from '../src/state/disk/incremental-snapshot.js';
import type { NamespacedState } from '../src/state/keyed-state-backend.js';
import type { ListState, MapState, ValueState } from '../src/state/state.js';
import { seededRandom } from './fixtures/ckpt-support.js';

/**
 * Property test of the disk backend against a brute-force model: random reads, writes, deletions, TTL expiry,
 * list and map operations over many keys with a cache far smaller than the state (so nearly every access evicts and
 * the write-behind thread has batches in flight), with incremental checkpoints, and restores of the checkpoint chains
 * at another parallelism after simulated failures (the operations since the last checkpoint are lost, as in a job).
 */

const MAX_PARALLELISM = 128;
const TTL_MS = 40;
const KEYS = 300;
const NAMESPACES = ['', 'w1'];

/** The expected state: plain maps keyed by `normalised key | namespace`. */
interface Model {
  plain: Map<string, number>;
  timed: Map<string, { value: number; expires: number }>;
  list: Map<string, number[]>;
  map: Map<string, Map<string, number>>;
}

function emptyModel(): Model {
  return { plain: new Map(), timed: new Map(), list: new Map(), map: new Map() };
}

function copyModel(m: Model): Model {
  return {
    plain: new Map(m.plain),
    timed: new Map([...m.timed].map(([k, v]) => [k, { ...v }])),
    list: new Map([...m.list].map(([k, v]) => [k, [...v]])),
    map: new Map([...m.map].map(([k, v]) => [k, new Map(v)])),
  };
}

interface States {
  plain: ValueState<number> & NamespacedState;
  timed: ValueState<number> & NamespacedState;
  list: ListState<number> & NamespacedState;
  map: MapState<string, number> & NamespacedState;
}

function statesOf(b: DiskKeyedStateBackend): States {
  return {
    plain: b.getState(valueState<number>('plain')),
    timed: b.getState(valueState<number>('timed', { ttl: { ttlMs: TTL_MS } })),
    list: b.getState(listState<number>('list')),
    map: b.getState(mapState<string, number>('map')),
  };
}

/** A parallel instance: backends owning contiguous key-group ranges, as the runtime splits them. */
class Instance {
  readonly parts: { backend: DiskKeyedStateBackend; states: States; start: number; end: number }[] = [];
  /** Per backend: the checkpoint chain taken since it was created (restored). */
  chains: IncrementalKeyedStateSnapshot[][] = [];

  constructor(parallelism: number, cacheEntries: number, clock: () => number) {
    for (let i = 0; i < parallelism; i++) {
      const start = Math.floor((i * MAX_PARALLELISM) / parallelism);
      const end = Math.floor(((i + 1) * MAX_PARALLELISM) / parallelism);
      const directory = mkdtempSync(join(tmpdir(), 'sluice-disk-model-'));
      const backend = new DiskKeyedStateBackend(MAX_PARALLELISM, start, end, clock, { directory, cacheEntries });
      this.parts.push({ backend, states: statesOf(backend), start, end });
      this.chains.push([]);
    }
  }

  /** The backend owning `key`, switched to it. */
  at(key: Key): States {
    const kg = keyGroupOf(normalizeKey(key), MAX_PARALLELISM);
    const part = this.parts.find((p) => kg >= p.start && kg < p.end)!;
    part.backend.setCurrentKey(key);
    return part.states;
  }

  /** An incremental checkpoint of every backend: a delta on the previous one, or a full one to start a chain. */
  checkpoint(): void {
    this.parts.forEach(({ backend }, i) => {
      const chain = this.chains[i]!;
      chain.push(backend.snapshotIncremental(chain.at(-1)?.version));
    });
  }

  async dispose(): Promise<void> {
    for (const p of this.parts) await p.backend.dispose();
  }
}

function slot(key: Key, ns: string): string {
  return `${JSON.stringify(normalizeKey(key))}|${ns}`;
}

/** Checks every key and namespace through the state API against the model (reads expire TTL entries in both). */
function checkAll(inst: Instance, model: Model, now: number, what: string): void {
  for (let k = 0; k < KEYS; k++) {
    const key: Key = k % 2 === 0 ? `k${k}` : k;
    const s = inst.at(key);
    for (const ns of NAMESPACES) {
      const id = slot(key, ns);
      for (const st of Object.values(s)) st.setNamespace(ns);
      assert.equal(s.plain.value(), model.plain.get(id), `${what}: plain ${id}`);
      const t = model.timed.get(id);
      if (t !== undefined && t.expires <= now) model.timed.delete(id);
      assert.equal(s.timed.value(), model.timed.get(id)?.value, `${what}: timed ${id}`);
      assert.deepEqual(s.list.get(), model.list.get(id) ?? [], `${what}: list ${id}`);
      const m = model.map.get(id);
      assert.deepEqual(new Map(s.map.entries()), m ?? new Map(), `${what}: map ${id}`);
    }
  }
  // Listing keys: every key with a plain value in the void namespace, from every backend.
  const listed: string[] = [];
  for (const p of inst.parts) p.backend.forEachKey('plain', (key) => listed.push(slot(key, '')));
  const expected = [...model.plain.keys()].filter((id) => id.endsWith('|'));
  assert.deepEqual(listed.sort(), expected.sort(), `${what}: forEachKey`);
}

/** One random operation on both the backend and the model. */
function step(inst: Instance, model: Model, rnd: () => number, now: number): void {
  const k = Math.floor(rnd() * KEYS);
  const key: Key = k % 2 === 0 ? `k${k}` : k;
  const ns = NAMESPACES[Math.floor(rnd() * NAMESPACES.length)]!;
  const id = slot(key, ns);
  const s = inst.at(key);
  for (const st of Object.values(s)) st.setNamespace(ns);
  const n = Math.floor(rnd() * 1000);
  switch (Math.floor(rnd() * 12)) {
    case 0:
    case 1:
      s.plain.update(n);
      model.plain.set(id, n);
      break;
    case 2:
      assert.equal(s.plain.value(), model.plain.get(id), `get ${id}`);
      break;
    case 3:
      s.plain.clear();
      model.plain.delete(id);
      break;
    case 4:
      s.timed.update(n);
      model.timed.set(id, { value: n, expires: now + TTL_MS });
      break;
    case 5: {
      const t = model.timed.get(id);
      if (t !== undefined && t.expires <= now) model.timed.delete(id);
      assert.equal(s.timed.value(), model.timed.get(id)?.value, `timed get ${id}`);
      break;
    }
    case 6:
      s.list.add(n);
      model.list.set(id, [...(model.list.get(id) ?? []), n]);
      break;
    case 7:
      if (n % 3 === 0) {
        s.list.clear();
        model.list.delete(id);
      } else {
        s.list.update([n]);
        model.list.set(id, [n]);
      }
      break;
    case 8: {
      s.map.put(`m${n % 7}`, n);
      const m = model.map.get(id) ?? new Map<string, number>();
      m.set(`m${n % 7}`, n);
      model.map.set(id, m);
      break;
    }
    case 9: {
      s.map.remove(`m${n % 7}`);
      const m = model.map.get(id);
      m?.delete(`m${n % 7}`);
      if (m !== undefined && m.size === 0) model.map.delete(id);
      break;
    }
    case 10:
      assert.equal(s.map.get(`m${n % 7}`), model.map.get(id)?.get(`m${n % 7}`), `map get ${id}`);
      break;
    default:
      for (const st of Object.values(s)) st.clear();
      model.plain.delete(id);
      model.timed.delete(id);
      model.list.delete(id);
      model.map.delete(id);
  }
}

for (const cacheEntries of [1, 7, 64]) {
  test(`disk backend with a ${cacheEntries}-entry cache equals a brute-force model across checkpoints and rescaling restores`, async () => {
    const rnd = seededRandom(1000 + cacheEntries);
    const clock = { now: 5_000 };
    const now = () => clock.now;
    let inst = new Instance(1, cacheEntries, now);
    let model = emptyModel();
    let checkpointed = copyModel(model);
    const parallelisms = [2, 3, 1, 2];
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 400; i++) {
        if (rnd() < 0.1) clock.now += Math.floor(rnd() * 10);
        step(inst, model, rnd, clock.now);
      }
      inst.checkpoint();
      checkpointed = copyModel(model);
      // Changes after the checkpoint that a failure then loses.
      for (let i = 0; i < 100; i++) step(inst, model, rnd, clock.now);
      if (round % 2 === 1) {
        const chains = inst.chains;
        await inst.dispose();
        inst = new Instance(parallelisms[(round - 1) / 2]!, cacheEntries, now);
        for (const part of inst.parts) for (const chain of chains) part.backend.restoreIncremental(chain);
        model = copyModel(checkpointed);
        checkAll(inst, model, clock.now, `round ${round}, restored at parallelism ${inst.parts.length}`);
      }
    }
    checkAll(inst, model, clock.now, 'end');
    await inst.dispose();
  });
}
