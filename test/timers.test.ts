import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Key } from '../src/core/key.js';
import { type Timer, TimerQueue } from '../src/runtime/timer-queue.js';

/** Small deterministic PRNG (mulberry32) so randomized tests are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function drain(q: TimerQueue, upTo: number): Timer[] {
  const fired: Timer[] = [];
  q.fireUpTo(upTo, (t) => fired.push(t));
  return fired;
}

const id = (t: { key: Key; namespace: string; time: number }) =>
  `${typeof t.key}:${JSON.stringify(t.key, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}|${t.namespace}|${t.time}`;

test('fireUpTo visits due timers earliest first and keeps the later ones', () => {
  const q = new TimerQueue();
  const times = [50, 10, 40, 10, 30, 70, 20, 60, 0, -5];
  times.forEach((t, i) => {
    q.register(`k${i}`, '', t);
  });
  assert.equal(q.size, times.length);
  assert.equal(q.peekTime(), -5);

  const fired = drain(q, 35);
  assert.deepEqual(
    fired.map((t) => t.time),
    [-5, 0, 10, 10, 20, 30],
  );
  // Each fired timer carries the key it was registered for.
  assert.deepEqual(new Set(fired.filter((t) => t.time === 10).map((t) => t.key)), new Set(['k1', 'k3']));
  assert.equal(q.size, 4);
  assert.equal(q.peekTime(), 40);

  // A timer exactly at upTo is due.
  assert.deepEqual(
    drain(q, 40).map((t) => t.time),
    [40],
  );
  assert.deepEqual(
    drain(q, Number.POSITIVE_INFINITY).map((t) => t.time),
    [50, 60, 70],
  );
  assert.equal(q.size, 0);
  assert.equal(q.peekTime(), undefined);
  assert.deepEqual(drain(q, Number.POSITIVE_INFINITY), []);
});

test('nothing fires when upTo is before the earliest timer', () => {
  const q = new TimerQueue();
  q.register('a', '', 100);
  assert.deepEqual(drain(q, 99), []);
  assert.equal(q.size, 1);
  assert.equal(q.peekTime(), 100);
});

test('timers are deduplicated per (key, namespace, time)', () => {
  const q = new TimerQueue();
  q.register('a', '', 10);
  q.register('a', '', 10);
  q.register('a', '', 10);
  assert.equal(q.size, 1);
  // Different namespace, key or time: distinct timers.
  q.register('a', 'w1', 10);
  q.register('b', '', 10);
  q.register('a', '', 11);
  q.register('a', 'w1', 10);
  assert.equal(q.size, 4);
  const fired = drain(q, 100);
  assert.deepEqual(
    fired.map(id).sort(),
    [
      id({ key: 'a', namespace: '', time: 10 }),
      id({ key: 'a', namespace: '', time: 11 }),
      id({ key: 'a', namespace: 'w1', time: 10 }),
      id({ key: 'b', namespace: '', time: 10 }),
    ].sort(),
  );
});

test('keys that differ in type are different timers', () => {
  const q = new TimerQueue();
  const keys: Key[] = [1, '1', [1], true, 'true', 1n, '1n', ['1'], [1, 2], [[1], 2]];
  for (const k of keys) {
    q.register(k, '', 5);
    q.register(k, '', 5);
  }
  // Structurally equal composite keys are the same key.
  q.register([1, 2], '', 5);
  q.register([[1], 2], '', 5);
  assert.equal(q.size, keys.length);
  const fired = drain(q, 5);
  assert.equal(fired.length, keys.length);
  assert.deepEqual(new Set(fired.map((t) => id(t))), new Set(keys.map((key) => id({ key, namespace: '', time: 5 }))));
});

test('delete removes exactly one timer; deleting unknown timers is a no-op', () => {
  const q = new TimerQueue();
  q.register('a', '', 10);
  q.register('b', '', 10);
  q.register('a', 'ns', 10);
  q.register('a', '', 20);
  q.delete('a', '', 10);
  q.delete('zzz', '', 10); // unknown key
  q.delete('a', '', 15); // unknown time
  q.delete('a', 'other', 20); // unknown namespace
  assert.equal(q.size, 3);
  const fired = drain(q, 100);
  assert.deepEqual(
    fired.slice(0, 2).map(id).sort(),
    [id({ key: 'b', namespace: '', time: 10 }), id({ key: 'a', namespace: 'ns', time: 10 })].sort(),
  );
  assert.deepEqual(fired.slice(2).map(id), [id({ key: 'a', namespace: '', time: 20 })]);
});

test('a time whose timers were all deleted is skipped by peekTime and fireUpTo', () => {
  const q = new TimerQueue();
  q.register('a', '', 5);
  q.register('b', '', 5);
  q.register('a', '', 9);
  q.delete('a', '', 5);
  q.delete('b', '', 5);
  assert.equal(q.peekTime(), 9);
  assert.deepEqual(
    drain(q, 100).map((t) => t.time),
    [9],
  );
});

test('delete then register again at the same time fires once', () => {
  const q = new TimerQueue();
  q.register('a', '', 5);
  q.delete('a', '', 5);
  q.register('a', '', 5);
  q.register('a', '', 5);
  assert.equal(q.size, 1);
  assert.deepEqual(
    drain(q, 5).map((t) => t.time),
    [5],
  );
  // ... also after the emptied time was dropped from the heap by peekTime.
  q.register('a', '', 7);
  q.delete('a', '', 7);
  assert.equal(q.peekTime(), undefined);
  q.register('a', '', 7);
  assert.equal(q.peekTime(), 7);
  assert.deepEqual(
    drain(q, 10).map((t) => t.time),
    [7],
  );
  assert.equal(q.size, 0);
});

test('a fired timer is gone: registering it again later fires it again', () => {
  const q = new TimerQueue();
  q.register('a', '', 5);
  assert.equal(drain(q, 5).length, 1);
  assert.equal(drain(q, 5).length, 0);
  q.register('a', '', 5);
  assert.equal(drain(q, 5).length, 1);
});

test('timers registered during fireUpTo fire in the same call when due', () => {
  const q = new TimerQueue();
  q.register('a', '', 10);
  q.register('b', '', 30);
  const fired: string[] = [];
  let first = true;
  q.fireUpTo(50, (t) => {
    fired.push(`${t.key}@${t.time}`);
    if (first) {
      first = false;
      q.register('c', '', 20); // due, before b@30
      q.register('d', '', 10); // same time as the one firing now
      q.register('e', '', 60); // not due
      q.register('a', '', 10); // the timer being fired, registered again
    }
  });
  // d@10 and the re-registered a@10 are at the current time; c@20 comes before b@30.
  assert.deepEqual(fired.slice(0, 1), ['a@10']);
  assert.deepEqual(new Set(fired.slice(1, 3)), new Set(['d@10', 'a@10']));
  assert.deepEqual(fired.slice(3), ['c@20', 'b@30']);
  assert.equal(q.size, 1);
  assert.equal(q.peekTime(), 60);
});

test('a timer registered during fireUpTo that is already past still fires (before later ones)', () => {
  const q = new TimerQueue();
  q.register('a', '', 10);
  q.register('b', '', 40);
  const fired: string[] = [];
  q.fireUpTo(50, (t) => {
    fired.push(`${t.key}@${t.time}`);
    if (t.key === 'a') q.register('late', '', 5);
  });
  assert.deepEqual(fired, ['a@10', 'late@5', 'b@40']);
});

test('timers deleted during fireUpTo do not fire', () => {
  const q = new TimerQueue();
  q.register('a', '', 10);
  q.register('b', '', 10);
  q.register('c', '', 20);
  const fired: string[] = [];
  q.fireUpTo(100, (t) => {
    fired.push(String(t.key));
    // Whichever of a/b fires first deletes the other one and c.
    if (t.key === 'a') q.delete('b', '', 10);
    if (t.key === 'b') q.delete('a', '', 10);
    q.delete('c', '', 20);
  });
  assert.equal(fired.length, 1);
  assert.ok(fired[0] === 'a' || fired[0] === 'b');
  assert.equal(q.size, 0);
});

test('a chain of timers registering the next one runs to upTo and stops there', () => {
  const q = new TimerQueue();
  q.register('k', '', 0);
  const fired: number[] = [];
  q.fireUpTo(45, (t) => {
    fired.push(t.time);
    q.register('k', '', t.time + 10);
  });
  assert.deepEqual(fired, [0, 10, 20, 30, 40]);
  assert.equal(q.peekTime(), 50);
  assert.equal(q.size, 1);
});

test('all() lists every pending timer', () => {
  const q = new TimerQueue();
  q.register('a', '', 1);
  q.register('b', 'x', 2);
  q.register('c', '', 3);
  q.delete('c', '', 3);
  assert.deepEqual(q.all().map(id).sort(), [
    id({ key: 'a', namespace: '', time: 1 }),
    id({ key: 'b', namespace: 'x', time: 2 }),
  ]);
});

test('randomized: matches a brute-force model', () => {
  const rand = rng(42);
  for (let round = 0; round < 30; round++) {
    const q = new TimerQueue();
    const model = new Map<string, Timer>();
    for (let op = 0; op < 400; op++) {
      const r = rand();
      const key: Key = rand() < 0.5 ? Math.floor(rand() * 5) : `k${Math.floor(rand() * 5)}`;
      const namespace = rand() < 0.7 ? '' : `w${Math.floor(rand() * 3)}`;
      const time = Math.floor(rand() * 100);
      if (r < 0.55) {
        q.register(key, namespace, time);
        const t = { key, namespace, time, keyGroup: -1 };
        if (!model.has(id(t))) model.set(id(t), t);
      } else if (r < 0.8) {
        q.delete(key, namespace, time);
        model.delete(id({ key, namespace, time }));
      } else {
        const upTo = Math.floor(rand() * 100);
        const fired = drain(q, upTo);
        const expected = [...model.values()].filter((t) => t.time <= upTo);
        // Same set of timers, in non-decreasing time order.
        assert.deepEqual(fired.map(id).sort(), expected.map(id).sort());
        for (let i = 1; i < fired.length; i++) assert.ok(fired[i - 1]!.time <= fired[i]!.time);
        for (const t of expected) model.delete(id(t));
      }
      assert.equal(q.size, model.size);
      const min = model.size === 0 ? undefined : Math.min(...[...model.values()].map((t) => t.time));
      assert.equal(q.peekTime(), min);
    }
  }
});
