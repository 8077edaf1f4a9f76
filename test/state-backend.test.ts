import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type Key, keyGroupOf, normalizeKey } from '../src/core/key.js';
import {
  type AggregateFunction,
  aggregatingState,
  listState,
  mapState,
  reducingState,
  type StateTtlConfig,
  valueState,
} from '../src/state/descriptors.js';
import { DiskKeyedStateBackend } from '../src/state/disk/disk-keyed-state-backend.js';
import type { IncrementalKeyedStateSnapshot } from '../src/state/disk/incremental-snapshot.js';
import { HeapKeyedStateBackend } from '../src/state/heap-keyed-state-backend.js';
import type { KeyedStateBackend, KeyedStateSnapshot, NamespacedState } from '../src/state/keyed-state-backend.js';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../src/state/state.js';

/** Creates a backend owning key groups [keyGroupStart, keyGroupEnd) whose processing-time clock is `clock`. */
export type BackendFactory = (
  maxParallelism: number,
  keyGroupStart: number,
  keyGroupEnd: number,
  clock: () => number,
) => KeyedStateBackend;

type Value<T> = ValueState<T> & NamespacedState;
type List<T> = ListState<T> & NamespacedState;
type MapS<K, V> = MapState<K, V> & NamespacedState;
type Reducing<T> = ReducingState<T> & NamespacedState;
type Aggregating<I, O> = AggregatingState<I, O> & NamespacedState;

/** Average of numbers, with merge (so it can be used by merging windows). */
const avg: AggregateFunction<number, { sum: number; count: number }, number> = {
  createAccumulator: () => ({ sum: 0, count: 0 }),
  add: (v, acc) => ({ sum: acc.sum + v, count: acc.count + 1 }),
  getResult: (acc) => acc.sum / acc.count,
  merge: (a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }),
};
const concat = (a: string, b: string) => a + b;

/** Keys that are all different from each other although some print alike. */
const DISTINCT_KEYS: Key[] = ['1', 1, [1], ['1'], [[1]], true, 'true', 1n, '', 'a', 0, -1, 1.5, [1, 'a'], [], 'x y'];

const kgOf = (key: Key, maxP: number) => keyGroupOf(normalizeKey(key), maxP);

class FakeClock {
  now = 1_000;
  readonly fn = () => this.now;
}

/** Every state kind, created on one backend. */
function allStates(b: KeyedStateBackend, ttl?: StateTtlConfig) {
  const opts = ttl === undefined ? {} : { ttl };
  return {
    value: b.getState<Value<string>>(valueState<string>('value', opts)),
    list: b.getState<List<string>>(listState<string>('list', opts)),
    map: b.getState<MapS<string, string>>(mapState<string, string>('map', opts)),
    reducing: b.getState<Reducing<string>>(reducingState<string>('reducing', concat, opts)),
    aggregating: b.getState<Aggregating<number, number>>(aggregatingState('aggregating', avg, opts)),
  };
}

type States = ReturnType<typeof allStates>;

/** Writes a value derived from `tag` into every state of the current key (and current namespaces). */
function writeAll(s: States, tag: string, n: number): void {
  s.value.update(`v-${tag}`);
  s.list.add(`l1-${tag}`);
  s.list.add(`l2-${tag}`);
  s.map.put('m', `m-${tag}`);
  s.reducing.add(`r1-${tag}|`);
  s.reducing.add(`r2-${tag}`);
  s.aggregating.add(n);
  s.aggregating.add(n + 2);
}

/** Checks what writeAll(tag, n) wrote, or that nothing is there (tag undefined). */
function checkAll(s: States, tag: string | undefined, n = 0, message = ''): void {
  if (tag === undefined) {
    assert.equal(s.value.value(), undefined, message);
    assert.deepEqual(s.list.get(), [], message);
    assert.deepEqual(s.map.entries(), [], message);
    assert.equal(s.reducing.get(), undefined, message);
    assert.equal(s.aggregating.get(), undefined, message);
    for (const st of Object.values(s)) assert.equal(st.isEmpty(), true, message);
    return;
  }
  assert.equal(s.value.value(), `v-${tag}`, message);
  assert.deepEqual(s.list.get(), [`l1-${tag}`, `l2-${tag}`], message);
  assert.deepEqual(s.map.entries(), [['m', `m-${tag}`]], message);
  assert.equal(s.reducing.get(), `r1-${tag}|r2-${tag}`, message);
  assert.equal(s.aggregating.get(), n + 1, message);
  for (const st of Object.values(s)) assert.equal(st.isEmpty(), false, message);
}

function setNamespace(s: States, ns: string): void {
  for (const st of Object.values(s)) st.setNamespace(ns);
}

/**
 * The behaviour every keyed state backend must have. Call once per implementation.
 */
export function runBackendConformance(name: string, factory: BackendFactory): void {
  describe(`keyed state backend conformance: ${name}`, () => {
    const full = (clock = new FakeClock()) => factory(128, 0, 128, clock.fn);

    test('ValueState: empty, default value, update, clear, falsy values', () => {
      const b = full();
      b.setCurrentKey('k');
      const v = b.getState<Value<unknown>>(valueState<unknown>('v'));
      const d = b.getState<Value<number>>(valueState<number>('d', { defaultValue: 7 }));
      assert.equal(v.value(), undefined);
      assert.equal(v.isEmpty(), true);
      assert.equal(d.value(), 7);
      d.update(3);
      assert.equal(d.value(), 3);
      d.clear();
      assert.equal(d.value(), 7, 'cleared state reads the default again');
      for (const x of [0, '', false, null, { a: 1 }, [1, 2], 'text']) {
        v.update(x);
        assert.deepEqual(v.value(), x);
        assert.equal(v.isEmpty(), false);
      }
      v.clear();
      assert.equal(v.value(), undefined);
      assert.equal(v.isEmpty(), true);
      v.update(5);
      v.update(undefined);
      assert.equal(v.value(), undefined, 'update(undefined) clears');
    });

    test('ListState: add, addAll, update, clear; get returns a copy', () => {
      const b = full();
      b.setCurrentKey('k');
      const l = b.getState<List<number>>(listState<number>('l'));
      assert.deepEqual(l.get(), []);
      assert.equal(l.isEmpty(), true);
      l.add(1);
      l.add(2);
      l.addAll([3, 4]);
      l.addAll([]);
      assert.deepEqual(l.get(), [1, 2, 3, 4]);
      const copy = l.get();
      copy.push(99);
      copy[0] = -1;
      assert.deepEqual(l.get(), [1, 2, 3, 4], 'mutating the returned array does not change the state');
      const source = [7, 8];
      l.update(source);
      source.push(9);
      assert.deepEqual(l.get(), [7, 8], 'update copies its argument');
      l.addAll(source);
      source.push(10);
      assert.deepEqual(l.get(), [7, 8, 7, 8, 9], 'addAll copies its argument');
      l.update([]);
      assert.deepEqual(l.get(), []);
      assert.equal(l.isEmpty(), true);
      l.add(5);
      l.clear();
      assert.deepEqual(l.get(), []);
      // addAll on an empty list.
      l.addAll([1]);
      assert.deepEqual(l.get(), [1]);
    });

    test('MapState: put, get, contains, remove, putAll, keys, values, entries, isEmpty, clear', () => {
      const b = full();
      b.setCurrentKey('k');
      const m = b.getState<MapS<unknown, string>>(mapState<unknown, string>('m'));
      assert.equal(m.isEmpty(), true);
      assert.equal(m.get('a'), undefined);
      assert.equal(m.contains('a'), false);
      assert.deepEqual(m.entries(), []);
      m.put('a', 'A');
      m.put(1, 'one');
      m.put('1', 'string one');
      assert.equal(m.get(1), 'one');
      assert.equal(m.get('1'), 'string one', 'map keys compare like JS Map keys');
      m.put('a', 'A2');
      assert.equal(m.get('a'), 'A2');
      m.putAll([
        ['b', 'B'],
        ['c', 'C'],
      ]);
      assert.deepEqual(m.keys(), ['a', 1, '1', 'b', 'c']);
      assert.deepEqual(m.values(), ['A2', 'one', 'string one', 'B', 'C']);
      assert.deepEqual(m.entries(), [
        ['a', 'A2'],
        [1, 'one'],
        ['1', 'string one'],
        ['b', 'B'],
        ['c', 'C'],
      ]);
      assert.equal(m.contains('b'), true);
      m.remove('b');
      m.remove('never-there');
      assert.equal(m.contains('b'), false);
      assert.equal(m.isEmpty(), false);
      for (const k of m.keys()) m.remove(k);
      assert.equal(m.isEmpty(), true, 'removing every entry empties the map');
      m.put('x', 'X');
      m.clear();
      assert.equal(m.isEmpty(), true);
      assert.equal(m.get('x'), undefined);
      // Mutating the arrays returned does not change the state.
      m.put('y', 'Y');
      m.entries().push(['z', 'Z']);
      m.keys().push('z');
      assert.deepEqual(m.entries(), [['y', 'Y']]);
    });

    test('ReducingState folds values in order; AggregatingState returns the result of its accumulator', () => {
      const b = full();
      b.setCurrentKey('k');
      const r = b.getState<Reducing<string>>(reducingState<string>('r', concat));
      assert.equal(r.get(), undefined);
      assert.equal(r.isEmpty(), true);
      r.add('a');
      assert.equal(r.get(), 'a', 'the first value is stored as is');
      r.add('b');
      r.add('c');
      assert.equal(r.get(), 'abc', 'values are folded in the order they were added');
      r.clear();
      assert.equal(r.get(), undefined);
      r.add('z');
      assert.equal(r.get(), 'z');

      const a = b.getState<Aggregating<number, number>>(aggregatingState('a', avg));
      assert.equal(a.get(), undefined);
      assert.equal(a.isEmpty(), true);
      a.add(1);
      assert.equal(a.get(), 1);
      a.add(2);
      a.add(6);
      assert.equal(a.get(), 3);
      a.clear();
      assert.equal(a.get(), undefined);
      a.add(10);
      assert.equal(a.get(), 10);
    });

    test('getState returns the same object for a name and rejects a second kind under one name', () => {
      const b = full();
      const v1 = b.getState(valueState<number>('s'));
      const v2 = b.getState(valueState<number>('s'));
      assert.equal(v1, v2);
      assert.throws(() => b.getState(listState<number>('s')));
    });

    test('keys are isolated: string "1", number 1, [1], true, 1n, "" are different keys', () => {
      const b = full();
      const s = allStates(b);
      DISTINCT_KEYS.forEach((key, i) => {
        b.setCurrentKey(key);
        checkAll(s, undefined, 0, `fresh key ${JSON.stringify(String(key))}`);
        writeAll(s, `key${i}`, i);
      });
      DISTINCT_KEYS.forEach((key, i) => {
        b.setCurrentKey(key);
        checkAll(s, `key${i}`, i, `key #${i}`);
      });
      // An equal composite key (another array instance) and -0 address the same entries.
      b.setCurrentKey([1, 'a']);
      const composite = DISTINCT_KEYS.findIndex(
        (k) => Array.isArray(k) && k.length === 2 && k[0] === 1 && k[1] === 'a',
      );
      checkAll(s, `key${composite}`, composite);
      b.setCurrentKey(-0);
      assert.equal(s.value.value(), `v-key${DISTINCT_KEYS.indexOf(0)}`);
      // Clearing one key leaves the others.
      b.setCurrentKey(1);
      for (const st of Object.values(s)) st.clear();
      checkAll(s, undefined);
      b.setCurrentKey('1');
      checkAll(s, 'key0', 0);
    });

    test('getCurrentKey and getCurrentKeyGroup follow setCurrentKey (also for the very first key "")', () => {
      for (const first of ['', 0, 'a', [1]] as Key[]) {
        const b = full();
        b.setCurrentKey(first);
        assert.deepEqual(b.getCurrentKey(), first);
        assert.equal(b.getCurrentKeyGroup(), kgOf(first, 128), `first key ${JSON.stringify(first)}`);
      }
      const b = full();
      for (const key of [...DISTINCT_KEYS, ...DISTINCT_KEYS.slice().reverse()]) {
        b.setCurrentKey(key);
        assert.deepEqual(b.getCurrentKey(), key);
        assert.equal(b.getCurrentKeyGroup(), kgOf(key, 128), `key ${JSON.stringify(String(key))}`);
      }
    });

    test('namespaces isolate the entries of one key', () => {
      const b = full();
      const s = allStates(b);
      b.setCurrentKey('k');
      setNamespace(s, '');
      writeAll(s, 'void', 1);
      setNamespace(s, 'w1');
      checkAll(s, undefined, 0, 'w1 is empty');
      writeAll(s, 'w1', 10);
      setNamespace(s, 'w2');
      checkAll(s, undefined, 0, 'w2 is empty');
      writeAll(s, 'w2', 20);
      setNamespace(s, '');
      checkAll(s, 'void', 1);
      setNamespace(s, 'w1');
      checkAll(s, 'w1', 10);
      for (const st of Object.values(s)) st.clear();
      checkAll(s, undefined);
      setNamespace(s, 'w2');
      checkAll(s, 'w2', 20);
      setNamespace(s, '');
      checkAll(s, 'void', 1);
      // Another key has nothing in any namespace.
      b.setCurrentKey('other');
      for (const ns of ['', 'w1', 'w2']) {
        setNamespace(s, ns);
        checkAll(s, undefined);
      }
    });

    test('namespaces of number and string keys do not collide', () => {
      const b = full();
      const v = b.getState<Value<string>>(valueState<string>('v'));
      v.setNamespace('0|10');
      b.setCurrentKey(1);
      v.update('number');
      b.setCurrentKey('1');
      assert.equal(v.value(), undefined);
      v.update('string');
      b.setCurrentKey(1);
      assert.equal(v.value(), 'number');
    });

    test('mergeNamespaces folds the sources into the target and removes the sources', () => {
      const b = full();
      b.setCurrentKey('k');
      const l = b.getState<List<number>>(listState<number>('l'));
      const r = b.getState<Reducing<number>>(reducingState<number>('r', (x, y) => x + y));
      const a = b.getState<Aggregating<number, number>>(aggregatingState('a', avg));
      const m = b.getState<MapS<string, number>>(mapState<string, number>('m'));
      const fill = (ns: string, values: number[]) => {
        for (const st of [l, r, a, m]) st.setNamespace(ns);
        for (const x of values) {
          l.add(x);
          r.add(x);
          a.add(x);
          m.put(`${ns}:${x}`, x);
        }
      };
      fill('t', [1, 2]);
      fill('s1', [3]);
      fill('s2', [4, 5]);
      // Same namespaces for another key must stay untouched.
      b.setCurrentKey('other');
      fill('s1', [100]);
      b.setCurrentKey('k');
      for (const st of [l, r, a, m]) st.mergeNamespaces('t', ['s1', 's2', 'empty', 't']);
      for (const st of [l, r, a, m]) st.setNamespace('t');
      assert.deepEqual(
        l.get().sort((x, y) => x - y),
        [1, 2, 3, 4, 5],
      );
      assert.equal(r.get(), 15);
      assert.equal(a.get(), 3);
      assert.deepEqual(new Set(m.keys()), new Set(['t:1', 't:2', 's1:3', 's2:4', 's2:5']));
      for (const ns of ['s1', 's2']) {
        for (const st of [l, r, a, m]) st.setNamespace(ns);
        for (const st of [l, r, a, m]) assert.equal(st.isEmpty(), true, `source ${ns} removed`);
      }
      // Merging into an empty target moves the source.
      for (const st of [l, r, a]) st.mergeNamespaces('fresh', ['t']);
      for (const st of [l, r, a]) st.setNamespace('fresh');
      assert.equal(l.get().length, 5);
      assert.equal(r.get(), 15);
      assert.equal(a.get(), 3);
      b.setCurrentKey('other');
      l.setNamespace('s1');
      assert.deepEqual(l.get(), [100], "another key's namespaces are untouched");
      // Nothing to merge: no entry appears.
      b.setCurrentKey('nobody');
      l.mergeNamespaces('x', ['y', 'z']);
      l.setNamespace('x');
      assert.equal(l.isEmpty(), true);
    });

    test('merging namespaces of ValueState with two values is refused; AggregatingState needs merge()', () => {
      const b = full();
      b.setCurrentKey('k');
      const v = b.getState<Value<number>>(valueState<number>('v'));
      v.setNamespace('a');
      v.update(1);
      v.setNamespace('b');
      v.update(2);
      assert.throws(() => v.mergeNamespaces('a', ['b']));
      const noMerge: AggregateFunction<number, number, number> = {
        createAccumulator: () => 0,
        add: (x, acc) => acc + x,
        getResult: (acc) => acc,
      };
      const a = b.getState<Aggregating<number, number>>(aggregatingState('nm', noMerge));
      a.setNamespace('a');
      a.add(1);
      a.setNamespace('b');
      a.add(2);
      assert.throws(() => a.mergeNamespaces('a', ['b']), /merge/);
    });

    test('forEachKey visits every key with an entry in the void namespace, once', () => {
      const b = full();
      const v = b.getState<Value<number>>(valueState<number>('v'));
      const other = b.getState<Value<number>>(valueState<number>('other'));
      DISTINCT_KEYS.forEach((key, i) => {
        b.setCurrentKey(key);
        if (i % 2 === 0) v.update(i);
        else other.update(i);
      });
      // A key with only a windowed (namespaced) entry is not visited.
      b.setCurrentKey('windowed-only');
      v.setNamespace('0|10');
      v.update(1);
      v.setNamespace('');
      const visited: Key[] = [];
      b.forEachKey('v', (key) => visited.push(key));
      const expected = DISTINCT_KEYS.filter((_k, i) => i % 2 === 0);
      assert.equal(visited.length, expected.length);
      assert.deepEqual(new Set(visited.map((k) => normalizeKey(k))), new Set(expected.map((k) => normalizeKey(k))));
      const none: Key[] = [];
      b.forEachKey('no-such-state', (k) => none.push(k));
      assert.deepEqual(none, []);
    });

    test('forEachKey allows reading and clearing the visited key', () => {
      const b = full();
      const v = b.getState<Value<number>>(valueState<number>('v'));
      for (let i = 0; i < 50; i++) {
        b.setCurrentKey(`k${i}`);
        v.update(i);
      }
      let sum = 0;
      let visits = 0;
      b.forEachKey('v', (key) => {
        b.setCurrentKey(key);
        sum += v.value()!;
        visits++;
        v.clear();
      });
      assert.equal(visits, 50);
      assert.equal(sum, (49 * 50) / 2);
      const after: Key[] = [];
      b.forEachKey('v', (k) => after.push(k));
      assert.deepEqual(after, []);
    });

    test('forEachKey only visits keys of the key groups the backend owns', () => {
      const clock = new FakeClock();
      const b = factory(16, 4, 9, clock.fn);
      const v = b.getState<Value<number>>(valueState<number>('v'));
      const keys: Key[] = [];
      for (let i = 0; i < 200; i++) keys.push(`k${i}`);
      const mine = keys.filter((k) => kgOf(k, 16) >= 4 && kgOf(k, 16) < 9);
      for (const k of mine) {
        b.setCurrentKey(k);
        v.update(1);
      }
      const visited: Key[] = [];
      b.forEachKey('v', (k) => visited.push(k));
      assert.deepEqual(visited.sort(), mine.slice().sort());
    });

    describe('TTL', () => {
      const ttl = (t: Partial<StateTtlConfig> = {}): StateTtlConfig => ({ ttlMs: 100, ...t });

      test('neverReturnExpired (default): visible before ttl, gone from write time + ttl on', () => {
        const clock = new FakeClock();
        const b = full(clock);
        const s = allStates(b, ttl());
        b.setCurrentKey('k');
        clock.now = 1000;
        writeAll(s, 'a', 1);
        clock.now = 1099;
        checkAll(s, 'a', 1, 'just before expiry');
        clock.now = 1100;
        checkAll(s, undefined, 0, 'expired at write time + ttl');
        // Writing after expiry starts from scratch, without the expired contents.
        writeAll(s, 'b', 5);
        checkAll(s, 'b', 5);
      });

      test('returnExpiredIfNotCleanedUp returns the expired value', () => {
        const clock = new FakeClock();
        const b = full(clock);
        const v = b.getState<Value<string>>(
          valueState<string>('v', { ttl: ttl({ visibility: 'returnExpiredIfNotCleanedUp' }) }),
        );
        const never = b.getState<Value<string>>(valueState<string>('never', { ttl: ttl() }));
        b.setCurrentKey('k');
        v.update('x');
        never.update('y');
        clock.now += 500;
        assert.equal(never.value(), undefined);
        assert.equal(v.value(), 'x', 'expired but not cleaned up: still returned');
      });

      test('onCreateAndWrite: reads do not extend the lifetime, writes do', () => {
        const clock = new FakeClock();
        const b = full(clock);
        const v = b.getState<Value<number>>(valueState<number>('v', { ttl: ttl({ updateType: 'onCreateAndWrite' }) }));
        b.setCurrentKey('k');
        clock.now = 0;
        v.update(1);
        clock.now = 80;
        assert.equal(v.value(), 1);
        clock.now = 100;
        assert.equal(v.value(), undefined, 'the read at 80 did not extend the lifetime');
        clock.now = 200;
        v.update(2);
        clock.now = 290;
        v.update(3); // a write extends to 390
        clock.now = 389;
        assert.equal(v.value(), 3);
        clock.now = 390;
        assert.equal(v.value(), undefined);
      });

      test('onReadAndWrite: every read extends the lifetime', () => {
        const clock = new FakeClock();
        const b = full(clock);
        const s = allStates(b, ttl({ updateType: 'onReadAndWrite' }));
        b.setCurrentKey('k');
        clock.now = 0;
        writeAll(s, 'a', 1);
        clock.now = 80;
        checkAll(s, 'a', 1); // reads at 80: alive until 180
        clock.now = 170;
        checkAll(s, 'a', 1, 'kept alive by the read at 80'); // alive until 270
        clock.now = 269;
        checkAll(s, 'a', 1); // alive until 369
        clock.now = 369;
        checkAll(s, undefined, 0, 'expired 100 ms after the last read');
      });

      test('TTL is per key and per namespace', () => {
        const clock = new FakeClock();
        const b = full(clock);
        const v = b.getState<Value<string>>(valueState<string>('v', { ttl: ttl() }));
        clock.now = 0;
        b.setCurrentKey('old');
        v.update('old');
        clock.now = 50;
        b.setCurrentKey('young');
        v.update('young');
        v.setNamespace('w');
        clock.now = 60;
        v.update('young-w');
        clock.now = 120;
        v.setNamespace('');
        b.setCurrentKey('old');
        assert.equal(v.value(), undefined);
        b.setCurrentKey('young');
        assert.equal(v.value(), 'young');
        clock.now = 155;
        assert.equal(v.value(), undefined);
        v.setNamespace('w');
        assert.equal(v.value(), 'young-w');
      });

      test('map entries and list elements expire independently (Flink: per-entry TTL of collection state)', () => {
        const clock = new FakeClock();
        const b = full(clock);
        const m = b.getState<MapS<string, number>>(mapState<string, number>('m', { ttl: ttl() }));
        const l = b.getState<List<string>>(listState<string>('l', { ttl: ttl() }));
        b.setCurrentKey('k');
        clock.now = 0;
        m.put('early', 1);
        l.add('early');
        clock.now = 60;
        m.put('late', 2);
        l.add('late');
        clock.now = 120;
        // 'early' was written at 0 and expired at 100; 'late' lives until 160.
        assert.equal(m.get('early'), undefined);
        assert.equal(m.get('late'), 2);
        assert.deepEqual(m.keys(), ['late']);
        assert.deepEqual(l.get(), ['late']);
      });
    });

    describe('snapshot and restore', () => {
      function populated(clock = new FakeClock()) {
        const b = full(clock);
        const s = allStates(b);
        const keys: Key[] = [...DISTINCT_KEYS];
        for (let i = 0; i < 300; i++) keys.push(i % 2 === 0 ? `key-${i}` : 1000 + i);
        keys.forEach((key, i) => {
          b.setCurrentKey(key);
          setNamespace(s, '');
          writeAll(s, `k${i}`, i);
          if (i % 3 === 0) {
            setNamespace(s, '0|100');
            writeAll(s, `k${i}-w`, i * 10);
          }
        });
        setNamespace(s, '');
        return { b, keys };
      }

      function checkRestored(b: KeyedStateBackend, keys: Key[], owns: (kg: number) => boolean, what: string) {
        const s = allStates(b);
        keys.forEach((key, i) => {
          b.setCurrentKey(key);
          const mine = owns(kgOf(key, 128));
          setNamespace(s, '');
          checkAll(s, mine ? `k${i}` : undefined, i, `${what}: key ${JSON.stringify(String(key))}`);
          setNamespace(s, '0|100');
          checkAll(s, mine && i % 3 === 0 ? `k${i}-w` : undefined, i * 10, `${what}: windowed key #${i}`);
        });
        setNamespace(s, '');
        const visited: Key[] = [];
        b.forEachKey('value', (k) => visited.push(k));
        assert.deepEqual(
          new Set(visited.map((k) => normalizeKey(k))),
          new Set(keys.filter((k) => owns(kgOf(k, 128))).map((k) => normalizeKey(k))),
          `${what}: forEachKey`,
        );
        assert.equal(visited.length, keys.filter((k) => owns(kgOf(k, 128))).length);
      }

      test('restoring into two backends with split key-group ranges gives each exactly its groups', () => {
        const { b, keys } = populated();
        const snap = b.snapshot();
        assert.equal(snap.maxParallelism, 128);
        const split = 50;
        const low = factory(128, 0, split, new FakeClock().fn);
        const high = factory(128, split, 128, new FakeClock().fn);
        low.restore(snap);
        high.restore(snap);
        checkRestored(low, keys, (kg) => kg < split, 'low');
        checkRestored(high, keys, (kg) => kg >= split, 'high');
        // Both halves together hold every key.
        assert.ok(keys.some((k) => kgOf(k, 128) < split) && keys.some((k) => kgOf(k, 128) >= split));
      });

      test('restoring into a backend that registered its states first works the same', () => {
        const { b, keys } = populated();
        const snap = b.snapshot();
        const whole = factory(128, 0, 128, new FakeClock().fn);
        allStates(whole);
        whole.restore(snap);
        checkRestored(whole, keys, () => true, 'whole');
      });

      test('a namespace emptied and then written again is in the next snapshot', () => {
        const b = full();
        const v = b.getState<ValueState<string> & NamespacedState>(valueState<string>('v'));
        b.setCurrentKey('k');
        v.setNamespace('w');
        v.update('first');
        // Its only entry removed, the namespace's map goes; the next write makes a new one.
        v.clear();
        v.update('second');
        v.setNamespace('other');
        v.update('x');
        v.setNamespace('w');
        assert.equal(v.value(), 'second');
        const restored = factory(128, 0, 128, new FakeClock().fn);
        restored.restore(b.snapshot());
        const rv = restored.getState<ValueState<string> & NamespacedState>(valueState<string>('v'));
        restored.setCurrentKey('k');
        rv.setNamespace('w');
        assert.equal(rv.value(), 'second');
      });

      test('a snapshot is not changed by later writes to the backend', () => {
        const b = full();
        const s = allStates(b);
        b.setCurrentKey('k');
        writeAll(s, 'before', 1);
        const snap = b.snapshot();
        // Later writes of every kind, including in-place ones (list add, map put).
        s.value.update('after');
        s.list.add('after');
        s.map.put('m', 'after');
        s.map.put('new', 'after');
        s.reducing.add('after');
        s.aggregating.add(100);
        b.setCurrentKey('later-key');
        writeAll(s, 'later', 2);
        const restored = full();
        restored.restore(snap);
        const r = allStates(restored);
        restored.setCurrentKey('k');
        checkAll(r, 'before', 1, 'the snapshot holds the state as of snapshot()');
        restored.setCurrentKey('later-key');
        checkAll(r, undefined);
      });

      test('writes to a restored backend do not change the snapshot it was restored from', () => {
        const b = full();
        const s = allStates(b);
        b.setCurrentKey('k');
        writeAll(s, 'x', 1);
        const snap = b.snapshot();
        const first = full();
        first.restore(snap);
        const f = allStates(first);
        first.setCurrentKey('k');
        f.list.add('more');
        f.map.put('more', 'more');
        const second = full();
        second.restore(snap);
        const sec = allStates(second);
        second.setCurrentKey('k');
        checkAll(sec, 'x', 1);
      });

      test('TTL state keeps its expiry through snapshot and restore (restored before the state is registered)', () => {
        const clock = new FakeClock();
        const b = full(clock);
        const desc = valueState<string>('v', { ttl: { ttlMs: 100 } });
        b.setCurrentKey('k');
        clock.now = 0;
        b.getState<Value<string>>(desc).update('x');
        const snap = b.snapshot();
        // As after a failure: a fresh backend is restored, then the operator opens and registers its states.
        const clock2 = new FakeClock();
        clock2.now = 50;
        const restored = factory(128, 0, 128, clock2.fn);
        restored.restore(snap);
        const v = restored.getState<Value<string>>(desc);
        restored.setCurrentKey('k');
        assert.equal(v.value(), 'x');
        clock2.now = 100;
        assert.equal(v.value(), undefined, 'expires at the original write time + ttl');
      });

      test('TTL state restored into a backend that registered the state first', () => {
        const clock = new FakeClock();
        const b = full(clock);
        const desc = listState<string>('l', { ttl: { ttlMs: 100 } });
        b.setCurrentKey('k');
        clock.now = 0;
        b.getState<List<string>>(desc).add('x');
        const snap = b.snapshot();
        const clock2 = new FakeClock();
        clock2.now = 50;
        const restored = factory(128, 0, 128, clock2.fn);
        const l = restored.getState<List<string>>(desc);
        restored.restore(snap);
        restored.setCurrentKey('k');
        assert.deepEqual(l.get(), ['x']);
        clock2.now = 100;
        assert.deepEqual(l.get(), []);
      });

      test('restoring a snapshot of another max parallelism is refused', () => {
        const { b } = populated();
        const snap = b.snapshot();
        const other = factory(64, 0, 64, new FakeClock().fn);
        assert.throws(() => other.restore(snap), /max parallelism/);
      });

      test('the empty-string key lands in its own key group across snapshot and restore', () => {
        const b = full();
        const v = b.getState<Value<string>>(valueState<string>('v'));
        // '' is the first key this backend ever sees.
        b.setCurrentKey('');
        v.update('empty');
        const kg = kgOf('', 128);
        assert.notEqual(kg, 0, 'precondition: "" does not hash to group 0');
        const snap = b.snapshot();
        assert.ok(
          snap.states['v']?.[kg]?.some(([key]) => key === ''),
          `'' is stored under key group ${kg}`,
        );
        const owner = factory(128, kg, kg + 1, new FakeClock().fn);
        owner.restore(snap);
        const ov = owner.getState<Value<string>>(valueState<string>('v'));
        owner.setCurrentKey('');
        assert.equal(ov.value(), 'empty');
      });
    });
  });
}

runBackendConformance(
  'HeapKeyedStateBackend',
  (maxParallelism, start, end, clock) => new HeapKeyedStateBackend(maxParallelism, start, end, clock),
);

/** Disk backends created by the tests, each in a fresh temporary directory; disposed when the file is done. */
const diskBackends: DiskKeyedStateBackend[] = [];
after(() => {
  for (const b of diskBackends) b.dispose();
});

function diskBackend(
  maxParallelism: number,
  start: number,
  end: number,
  clock: () => number,
  options: { cacheEntries?: number; retainedVersions?: number } = {},
): DiskKeyedStateBackend {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-disk-state-'));
  const b = new DiskKeyedStateBackend(maxParallelism, start, end, clock, { directory, ...options });
  diskBackends.push(b);
  return b;
}

runBackendConformance('DiskKeyedStateBackend (default cache)', (maxParallelism, start, end, clock) =>
  diskBackend(maxParallelism, start, end, clock),
);
// Two cached entries: nearly every access is a miss that reads the store, and every change is written out by an
// eviction soon after, so the conformance suite exercises the store, not the cache.
runBackendConformance('DiskKeyedStateBackend (2-entry cache)', (maxParallelism, start, end, clock) =>
  diskBackend(maxParallelism, start, end, clock, { cacheEntries: 2 }),
);

/** A snapshot in a canonical form (sorted, key groups recomputed) for comparing backends and restores. */
function canonical(snapshot: KeyedStateSnapshot): unknown[] {
  const out: [string, number, string, string, unknown, number | undefined][] = [];
  for (const [name, perGroup] of Object.entries(snapshot.states)) {
    for (const [kg, entries] of Object.entries(perGroup)) {
      for (const [key, ns, value, expires] of entries) {
        assert.equal(Number(kg), kgOf(key, snapshot.maxParallelism), 'entry listed under its key group');
        out.push([name, Number(kg), JSON.stringify(normalizeKey(key)), ns, value, expires]);
      }
    }
  }
  const sortKey = (e: (typeof out)[number]) => `${e[0]}\u0000${e[2]}\u0000${e[3]}`;
  return out.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
}

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Applies `steps` random state operations over `keys` keys and 3 namespaces to every backend alike. */
function randomOps(backends: KeyedStateBackend[], seed: number, steps: number, keys: number): void {
  const rnd = prng(seed);
  const all = backends.map((b) => allStates(b));
  for (let i = 0; i < steps; i++) {
    const key: Key = rnd() < 0.5 ? `k${Math.floor(rnd() * keys)}` : Math.floor(rnd() * keys);
    const ns = ['', 'w1', 'w2'][Math.floor(rnd() * 3)]!;
    const op = Math.floor(rnd() * 9);
    const n = Math.floor(rnd() * 100);
    backends.forEach((b, j) => {
      const s = all[j]!;
      b.setCurrentKey(key);
      setNamespace(s, ns);
      switch (op) {
        case 0:
          s.value.update(`v${n}`);
          break;
        case 1:
          s.list.add(`l${n}`);
          break;
        case 2:
          s.map.put(`m${n % 5}`, `x${n}`);
          break;
        case 3:
          s.map.remove(`m${n % 5}`);
          break;
        case 4:
          s.reducing.add(`r${n}`);
          break;
        case 5:
          s.aggregating.add(n);
          break;
        case 6:
          for (const st of Object.values(s)) st.clear();
          break;
        case 7:
          s.list.update(n % 2 === 0 ? [] : [`u${n}`]);
          break;
        default:
          s.value.clear();
      }
    });
  }
}

describe('DiskKeyedStateBackend', () => {
  test('random operations leave the same state as in the heap backend, with any cache size', () => {
    for (const cacheEntries of [1, 2, 7, 100_000]) {
      const clock = new FakeClock();
      const heap = new HeapKeyedStateBackend(128, 0, 128, clock.fn);
      const disk = diskBackend(128, 0, 128, clock.fn, { cacheEntries });
      randomOps([heap, disk], 42 + cacheEntries, 3_000, 60);
      assert.deepEqual(canonical(disk.snapshot()), canonical(heap.snapshot()), `cache of ${cacheEntries}`);
      // Reads through the state API agree as well (after the snapshot flushed the cache).
      const hs = allStates(heap);
      const ds = allStates(disk);
      for (let k = 0; k < 60; k++) {
        for (const key of [`k${k}`, k]) {
          heap.setCurrentKey(key);
          disk.setCurrentKey(key);
          for (const ns of ['', 'w1', 'w2']) {
            setNamespace(hs, ns);
            setNamespace(ds, ns);
            assert.deepEqual(ds.value.value(), hs.value.value());
            assert.deepEqual(ds.list.get(), hs.list.get());
            assert.deepEqual(ds.map.entries(), hs.map.entries());
            assert.deepEqual(ds.reducing.get(), hs.reducing.get());
            assert.deepEqual(ds.aggregating.get(), hs.aggregating.get());
          }
        }
      }
    }
  });

  test('state larger than the cache: every entry survives eviction, snapshot and restore', () => {
    const clock = new FakeClock();
    const b = diskBackend(128, 0, 128, clock.fn, { cacheEntries: 100 });
    const v = b.getState<Value<{ n: number; tags: string[] }>>(valueState('v'));
    const m = b.getState<MapS<string, number[]>>(mapState<string, number[]>('m'));
    const a = b.getState<Aggregating<number, number>>(aggregatingState('a', avg));
    const keys = 5_000;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < keys; i++) {
        b.setCurrentKey(i % 2 === 0 ? `user-${i}` : BigInt(i));
        v.update({ n: i + round, tags: [`t${i}`] });
        m.put(`r${round}`, [i, round]);
        a.add(i + round);
      }
    }
    const check = (backend: KeyedStateBackend, what: string) => {
      const vv = backend.getState<Value<{ n: number; tags: string[] }>>(valueState('v'));
      const mm = backend.getState<MapS<string, number[]>>(mapState<string, number[]>('m'));
      const aa = backend.getState<Aggregating<number, number>>(aggregatingState('a', avg));
      for (let i = 0; i < keys; i++) {
        backend.setCurrentKey(i % 2 === 0 ? `user-${i}` : BigInt(i));
        assert.deepEqual(vv.value(), { n: i + 2, tags: [`t${i}`] }, `${what}: value of key ${i}`);
        assert.deepEqual(
          mm.entries(),
          [
            ['r0', [i, 0]],
            ['r1', [i, 1]],
            ['r2', [i, 2]],
          ],
          `${what}: map of key ${i}`,
        );
        assert.equal(aa.get(), i + 1, `${what}: aggregate of key ${i}`);
      }
    };
    check(b, 'live');
    const snap = b.snapshot();
    assert.equal(
      Object.values(snap.states['v']!).reduce((n, list) => n + list.length, 0),
      keys,
      'the snapshot holds every key, not only the cached ones',
    );
    const restored = diskBackend(128, 0, 128, clock.fn, { cacheEntries: 10 });
    restored.restore(snap);
    check(restored, 'restored');
    const heap = new HeapKeyedStateBackend(128, 0, 128, clock.fn);
    heap.restore(snap);
    check(heap, 'restored into the heap backend');
    const visited: Key[] = [];
    b.forEachKey('v', (k) => visited.push(k));
    assert.equal(visited.length, keys);
  });

  test('MapState values, nested arrays and objects, bigint and composite keys round-trip through the store', () => {
    const b = diskBackend(128, 0, 128, new FakeClock().fn, { cacheEntries: 1 });
    const v = b.getState<Value<unknown>>(valueState<unknown>('v'));
    const m = b.getState<MapS<unknown, unknown>>(mapState<unknown, unknown>('m'));
    const values: unknown[] = [
      { a: [1, [2, [3, { b: 'c' }]]], d: null, e: true, f: 1.5 },
      new Map<unknown, unknown>([
        [1, 'one'],
        ['1', { nested: new Map([['x', [1, 2]]]) }],
      ]),
      [[], [[]], {}],
      2n ** 80n,
      new Set([1, 'a']),
      new Date(5),
      'text with \u0000 and é',
    ];
    const keys: Key[] = ['\ud800', '\udc00', 'x'.repeat(5_000), [1n, ['a', true]], -0, 2 ** 60, 'é'];
    keys.forEach((key, i) => {
      b.setCurrentKey(key);
      v.update(values[i % values.length]);
      m.put({ k: i } as unknown, i);
      m.put(i, values[(i + 1) % values.length]);
    });
    keys.forEach((key, i) => {
      b.setCurrentKey(key);
      assert.deepEqual(v.value(), values[i % values.length], `value of key #${i}`);
      const entries = m.entries();
      assert.deepEqual(entries[0], [{ k: i }, i], 'object map keys survive (as equal, new objects)');
      assert.deepEqual(entries[1], [i, values[(i + 1) % values.length]]);
    });
    // The two lone surrogates are different keys although both would encode to U+FFFD in UTF-8.
    b.setCurrentKey('\ud800');
    assert.deepEqual(v.value(), values[0]);
    b.setCurrentKey('\udc00');
    assert.deepEqual(v.value(), values[1]);
    // Snapshots and forEachKey return the keys as they were given, lone surrogates included.
    const snapshotKeys = Object.values(b.snapshot().states['v']!)
      .flat()
      .map(([key]) => key);
    const visited: Key[] = [];
    b.forEachKey('v', (key) => visited.push(key));
    for (const found of [snapshotKeys, visited]) {
      assert.equal(found.length, keys.length);
      // Compared as normalised keys: -0 comes back as 0, which is the same key.
      for (const key of keys) {
        assert.ok(
          found.some((k) => normalizeKey(k) === normalizeKey(key)),
          `key ${String(normalizeKey(key)).slice(0, 20)}`,
        );
      }
    }
  });

  test('incremental snapshots: base plus deltas restore to the state of a full snapshot, deletes included', () => {
    const clock = new FakeClock();
    for (const cacheEntries of [3, 100_000]) {
      const b = diskBackend(128, 0, 128, clock.fn, { cacheEntries });
      randomOps([b], 1, 1_000, 40);
      const base = b.snapshotIncremental();
      assert.equal(base.baseVersion, null);
      assert.deepEqual(base.removed, {});
      assert.deepEqual(canonical(base), canonical(b.snapshot()), 'a base is a full snapshot');
      const chain: IncrementalKeyedStateSnapshot[] = [base];
      for (let round = 0; round < 4; round++) {
        randomOps([b], 100 + round, 300, 40);
        const delta = b.snapshotIncremental(chain.at(-1)!.version);
        assert.equal(delta.baseVersion, chain.at(-1)!.version);
        assert.equal(delta.version, chain.at(-1)!.version + 1);
        chain.push(delta);
        const full = b.snapshot();
        for (const [start, end] of [
          [0, 128],
          [0, 50],
          [50, 128],
        ] as const) {
          const restored = diskBackend(128, start, end, clock.fn, { cacheEntries: 5 });
          restored.restoreIncremental(chain);
          const expected = diskBackend(128, start, end, clock.fn);
          expected.restore(full);
          assert.deepEqual(
            canonical(restored.snapshot()),
            canonical(expected.snapshot()),
            `cache ${cacheEntries}, round ${round}, key groups [${start}, ${end})`,
          );
        }
      }
      // Deltas carry tombstones: clear a key that the base had and restore base + delta.
      const deletesBase = b.snapshotIncremental();
      const s = allStates(b);
      const victim = Object.values(deletesBase.states['value']!)[0]![0]!;
      b.setCurrentKey(victim[0]);
      setNamespace(s, victim[1]);
      s.value.clear();
      const delta = b.snapshotIncremental(deletesBase.version);
      assert.deepEqual(Object.values(delta.removed['value']!).flat(), [[victim[0], victim[1]]]);
      assert.equal(delta.states['value'], undefined, 'nothing else of that state changed');
      const restored = diskBackend(128, 0, 128, clock.fn);
      restored.restoreIncremental([deletesBase, delta]);
      const rs = allStates(restored);
      restored.setCurrentKey(victim[0]);
      setNamespace(rs, victim[1]);
      assert.equal(rs.value.value(), undefined, 'the deleted entry is gone');
      assert.deepEqual(canonical(restored.snapshot()), canonical(b.snapshot()));
    }
  });

  test('incremental snapshots: deltas since older versions, unknown versions and broken chains are refused', () => {
    const b = diskBackend(128, 0, 128, new FakeClock().fn, { cacheEntries: 4, retainedVersions: 2 });
    const v = b.getState<Value<number>>(valueState<number>('v'));
    assert.throws(() => b.snapshotIncremental(0), /full/, 'no base yet');
    b.setCurrentKey('a');
    v.update(1);
    const base = b.snapshotIncremental();
    b.setCurrentKey('b');
    v.update(2);
    const d1 = b.snapshotIncremental(base.version);
    b.setCurrentKey('c');
    v.update(3);
    // A delta since the base (two versions back) holds both changes.
    const sinceBase = b.snapshotIncremental(base.version);
    assert.deepEqual(
      Object.values(sinceBase.states['v']!)
        .flat()
        .map(([k]) => k)
        .sort(),
      ['b', 'c'],
    );
    // Only two versions are retained: the base is now too old.
    const d3 = b.snapshotIncremental(sinceBase.version);
    assert.throws(() => b.snapshotIncremental(base.version), /full/);
    assert.throws(() => b.snapshotIncremental(999), /full/);
    const fresh = diskBackend(128, 0, 128, new FakeClock().fn);
    assert.throws(() => fresh.restoreIncremental([]), /at least/);
    assert.throws(() => fresh.restoreIncremental([d1]), /full snapshot/);
    assert.throws(() => fresh.restoreIncremental([base, d3]), /based on/);
    // Deltas since an older version are a valid chain too.
    fresh.restoreIncremental([base, sinceBase]);
    fresh.setCurrentKey('c');
    assert.equal(fresh.getState<Value<number>>(valueState<number>('v')).value(), 3);
    assert.throws(() => diskBackend(64, 0, 64, new FakeClock().fn).restoreIncremental([base]), /max parallelism/);
    // A base also restores through the plain interface, into any backend.
    const heap = new HeapKeyedStateBackend(128, 0, 128, new FakeClock().fn);
    heap.restore(base);
    heap.setCurrentKey('a');
    assert.equal(heap.getState<Value<number>>(valueState<number>('v')).value(), 1);
  });

  test('beginSnapshot reads the state as of the call while processing goes on', () => {
    const b = diskBackend(128, 0, 128, new FakeClock().fn, { cacheEntries: 2 });
    const l = b.getState<List<number>>(listState<number>('l'));
    for (let i = 0; i < 20; i++) {
      b.setCurrentKey(i);
      l.add(i);
    }
    const pending = b.beginSnapshot();
    for (let i = 0; i < 40; i++) {
      b.setCurrentKey(i);
      if (i % 3 === 0) l.clear();
      else l.add(100 + i);
    }
    b.snapshot(); // flushes every later change to the store
    const snap = pending.read();
    pending.release();
    const entries = Object.values(snap.states['l']!).flat();
    assert.equal(entries.length, 20);
    for (const [key, , value] of entries) assert.deepEqual(value, [key]);
    assert.throws(() => pending.read(), /released/);
  });

  test('dispose removes the directory', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'sluice-disk-state-'));
    const b = new DiskKeyedStateBackend(128, 0, 128, Date.now, { directory, cacheEntries: 1 });
    const v = b.getState<Value<number>>(valueState<number>('v'));
    for (let i = 0; i < 10; i++) {
      b.setCurrentKey(i);
      v.update(i);
    }
    b.dispose();
    assert.equal(existsSync(directory), false);
    // The environment is closed a turn later; it removes nothing else and does not throw.
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(existsSync(directory), false);
  });

  test('rejects a cache of no entries and a max parallelism beyond two-byte key groups', () => {
    const directory = join(tmpdir(), `sluice-disk-state-never-${process.pid}`);
    assert.throws(() => new DiskKeyedStateBackend(128, 0, 128, Date.now, { directory, cacheEntries: 0 }), /≥ 1/);
    assert.throws(() => new DiskKeyedStateBackend(70_000, 0, 1, Date.now, { directory }), /max parallelism/);
  });
});
