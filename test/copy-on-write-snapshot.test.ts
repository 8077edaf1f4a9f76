import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregatingState, listState, mapState, valueState } from '../src/index.js';
import { HeapKeyedStateBackend } from '../src/state/heap-keyed-state-backend.js';
import type { KeyedStateSnapshot } from '../src/state/keyed-state-backend.js';
import { unpackSnapshot } from '../src/state/packed-entries.js';

/**
 * An asynchronous (copy-on-write) snapshot must equal a synchronous snapshot taken at the same instant, however the
 * state changes while it is being collected: updates in place, deletions, new keys, merges of namespaces.
 */

function canonical(s: KeyedStateSnapshot): string[] {
  const out: string[] = [];
  for (const [name, perGroup] of Object.entries(unpackSnapshot(s).states)) {
    for (const [kg, entries] of Object.entries(perGroup)) {
      for (const e of entries) out.push(JSON.stringify([name, kg, e], (_k, v) => (v instanceof Map ? [...v] : v)));
    }
  }
  return out.sort();
}

test('an asynchronous snapshot is the state as of its start, while the state keeps changing', async () => {
  const backend = new HeapKeyedStateBackend(128, 0, 128, () => 0);
  const count = backend.getState<import('../src/index.js').ValueState<number>>(valueState<number>('count'));
  const list = backend.getState<import('../src/index.js').ListState<number>>(listState<number>('list'));
  const map = backend.getState<import('../src/index.js').MapState<string, number>>(mapState<string, number>('map'));
  const agg = backend.getState<import('../src/index.js').AggregatingState<number, { n: number }>>(
    aggregatingState('agg', {
      createAccumulator: () => ({ n: 0 }),
      add: (v: number, a: { n: number }) => {
        a.n += v; // mutates the accumulator in place, as real aggregate functions do
        return a;
      },
      getResult: (a) => a,
    }),
  );
  const keys = 60_000; // more than one collection slice
  for (let k = 0; k < keys; k++) {
    backend.setCurrentKey(k);
    count.update(k);
    list.add(k);
    map.put('a', k);
    agg.add(k);
  }
  const expected = canonical(backend.snapshot());
  const pending = backend.snapshotAsync();
  // Change everything while the snapshot is collected in slices.
  for (let round = 0; round < 3; round++) {
    for (let k = round; k < keys; k += 7) {
      backend.setCurrentKey(k);
      count.update(-k);
      list.add(-k);
      map.put('b', -k);
      agg.add(1000);
      if (k % 3 === 0) count.clear();
    }
    for (let k = keys; k < keys + 100; k++) {
      backend.setCurrentKey(k);
      count.update(k);
    }
    await new Promise((r) => setImmediate(r));
  }
  const got = canonical(await pending);
  assert.equal(got.length, expected.length);
  assert.deepEqual(got, expected);
  // And the live state has the changes.
  backend.setCurrentKey(7);
  assert.equal(count.value(), -7);
});
