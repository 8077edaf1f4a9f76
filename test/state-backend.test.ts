import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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
import { HeapKeyedStateBackend } from '../src/state/heap-keyed-state-backend.js';
import type { KeyedStateBackend, NamespacedState } from '../src/state/keyed-state-backend.js';
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
