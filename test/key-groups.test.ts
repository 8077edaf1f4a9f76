import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashKey, type Key, keyGroupOf, keyGroupRange, normalizeKey, subtaskForKeyGroup } from '../src/core/key.js';
import type { Sink } from '../src/index.js';
import { StreamExecutionEnvironment } from '../src/index.js';

const MAX_PARALLELISMS = [1, 2, 3, 5, 7, 10, 16, 64, 100, 127, 128, 129, 1000, 4096, 32768];

function sampleKeys(): Key[] {
  const keys: Key[] = [];
  for (let i = -50; i < 300; i++) keys.push(i);
  for (let i = 0; i < 300; i++) keys.push(`user-${i}`);
  keys.push('', ' ', 'ä', '日本語', '😀', 'a\u0000b', '\u0004[1]');
  keys.push(0.5, -0.25, 1e20, -1e20, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE);
  keys.push(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
  keys.push(true, false, 0n, 12345678901234567890n, -7n);
  keys.push([1], ['1'], [1, 'a', true], [[1, 2], [3]], []);
  return keys;
}

test('keyGroupOf is within [0, maxParallelism) for every kind of key', () => {
  for (const maxP of MAX_PARALLELISMS) {
    for (const key of sampleKeys()) {
      const kg = keyGroupOf(normalizeKey(key), maxP);
      assert.ok(Number.isInteger(kg) && kg >= 0 && kg < maxP, `key ${String(key)} maxP ${maxP} -> ${kg}`);
    }
  }
});

test('keyGroupOf is deterministic and equal keys share a key group', () => {
  for (const key of sampleKeys()) {
    const a = keyGroupOf(normalizeKey(key), 128);
    for (let i = 0; i < 3; i++) assert.equal(keyGroupOf(normalizeKey(key), 128), a);
  }
  // Structurally equal composite keys (different array instances) are the same key.
  assert.equal(normalizeKey([1, 'a', [true]]), normalizeKey([1, 'a', [true]]));
  assert.equal(keyGroupOf(normalizeKey([1, 'a', [true]]), 128), keyGroupOf(normalizeKey([1, 'a', [true]]), 128));
  // 0 and -0 are the same key.
  assert.equal(hashKey(normalizeKey(0)), hashKey(normalizeKey(-0)));
  // 1 and 1.0 are the same number.
  assert.equal(hashKey(normalizeKey(1)), hashKey(normalizeKey(1.0)));
});

test('keys of different types normalise to different keys', () => {
  const keys: Key[] = [1, '1', [1], ['1'], true, 'true', 1n, '1n', [], ''];
  const norms = keys.map((k) => normalizeKey(k));
  assert.equal(new Set(norms).size, keys.length);
});

test('tagged encodings of booleans, bigints and arrays cannot collide with plain strings (as documented)', () => {
  // normalizeKey promises a tagged string "that cannot collide with a plain string or number".
  const pairs: [Key, Key][] = [
    [true, '\u0002t'],
    [false, '\u0002f'],
    [1n, '\u00031'],
    [[1], '\u0004[1]'],
    [['a', 2], '\u0004["a",2]'],
  ];
  for (const [tagged, plain] of pairs) {
    assert.notEqual(normalizeKey(tagged), normalizeKey(plain), `${String(tagged)} vs ${JSON.stringify(plain)}`);
  }
});

test('string hashes are stable: FNV-1a over UTF-16 code units with the murmur3 finaliser', () => {
  // An independent implementation of the documented hash, so that a change of the hash function (which would move
  // every key to another key group and break restoring state) is noticed.
  const fnv1a = (s: string) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return h;
  };
  const fmix = (h: number) => {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  };
  for (const s of ['', 'a', 'user-1', 'user-2', '日本語', '😀', 'a much longer key with spaces']) {
    assert.equal(hashKey(s), fmix(fnv1a(s)), s);
    assert.equal(keyGroupOf(s, 128), fmix(fnv1a(s)) % 128, s);
  }
  // Small integers hash through the finaliser directly.
  for (const n of [0, 1, -1, 42, 2 ** 31 - 1, -(2 ** 31)]) assert.equal(hashKey(n), fmix(n | 0), String(n));
});

test('key groups spread sequential keys evenly', () => {
  const maxP = 128;
  for (const make of [(i: number) => i as Key, (i: number) => `key-${i}` as Key]) {
    const counts = new Array(maxP).fill(0);
    const n = 128 * 200;
    for (let i = 0; i < n; i++) counts[keyGroupOf(normalizeKey(make(i)), maxP)]++;
    // Expected 200 per group; a decent hash stays well within +-40%.
    for (const c of counts) assert.ok(c > 120 && c < 280, `group count ${c}`);
  }
});

test('keyGroupRange and subtaskForKeyGroup are inverse', () => {
  let combos = 0;
  const maxPs = [...MAX_PARALLELISMS.filter((m) => m <= 4096)];
  for (let m = 1; m <= 40; m++) maxPs.push(m);
  for (const maxP of maxPs) {
    const ps = new Set<number>();
    for (let p = 1; p <= Math.min(maxP, 40); p++) ps.add(p);
    for (const p of [maxP, maxP - 1, Math.ceil(maxP / 2), Math.ceil(maxP / 3)]) if (p >= 1) ps.add(p);
    for (const p of ps) {
      combos++;
      for (let kg = 0; kg < maxP; kg++) {
        const s = subtaskForKeyGroup(kg, maxP, p);
        assert.ok(Number.isInteger(s) && s >= 0 && s < p, `maxP ${maxP} p ${p} kg ${kg} -> subtask ${s}`);
        const [start, end] = keyGroupRange(s, maxP, p);
        assert.ok(kg >= start && kg < end, `maxP ${maxP} p ${p}: kg ${kg} -> ${s} whose range is [${start}, ${end})`);
      }
      for (let s = 0; s < p; s++) {
        const [start, end] = keyGroupRange(s, maxP, p);
        for (let kg = start; kg < end; kg++) assert.equal(subtaskForKeyGroup(kg, maxP, p), s);
      }
    }
  }
  assert.ok(combos > 500);
});

test('key-group ranges partition [0, maxParallelism) into contiguous, non-empty, balanced ranges', () => {
  for (let maxP = 1; maxP <= 300; maxP++) {
    for (let p = 1; p <= maxP; p += p < 20 ? 1 : 7) {
      let next = 0;
      const sizes: number[] = [];
      for (let s = 0; s < p; s++) {
        const [start, end] = keyGroupRange(s, maxP, p);
        assert.equal(start, next, `maxP ${maxP} p ${p} subtask ${s}`);
        assert.ok(end > start, `empty range for subtask ${s} (maxP ${maxP}, p ${p})`);
        sizes.push(end - start);
        next = end;
      }
      assert.equal(next, maxP);
      // Balanced: floor or ceil of maxP / p.
      for (const size of sizes) {
        assert.ok(size === Math.floor(maxP / p) || size === Math.ceil(maxP / p), `maxP ${maxP} p ${p}: ${sizes}`);
      }
    }
  }
});

/** A sink that records which subtask wrote each value (writers are created per subtask). */
function taggingSink<T>(into: [T, number][]): Sink<T> {
  return {
    name: 'tagging-sink',
    createWriter: (ctx) => ({
      write: (values) => {
        for (const v of values) into.push([v, ctx.subtaskIndex]);
      },
    }),
  };
}

test('a keyed operator sees each key on the subtask that owns its key group', async () => {
  for (const [parallelism, maxParallelism] of [
    [4, 128],
    [3, 10],
    [5, 7],
  ] as const) {
    const env = StreamExecutionEnvironment.create({ parallelism, maxParallelism });
    const keys: Key[] = [];
    for (let i = 0; i < 60; i++) keys.push(i % 3 === 0 ? i : i % 3 === 1 ? `k${i}` : [i, 'x']);
    const written: [Key, number][] = [];
    // The keyed operator and the sink have equal parallelism, so they are chained: the sink subtask that writes a
    // record is the keyed subtask that processed it.
    env
      .fromCollection([...keys, ...keys])
      .keyBy((k) => k)
      .process<Key>({
        processElement(value, _ctx, out) {
          out.collect(value);
        },
      })
      .sinkTo(taggingSink(written));
    await env.execute();
    const seen = new Map<string, Set<number>>();
    for (const [k, s] of written) {
      const set = seen.get(JSON.stringify(k)) ?? new Set();
      set.add(s);
      seen.set(JSON.stringify(k), set);
    }
    assert.equal(written.length, keys.length * 2);
    assert.equal(seen.size, keys.length);
    for (const key of keys) {
      const expected = subtaskForKeyGroup(keyGroupOf(normalizeKey(key), maxParallelism), maxParallelism, parallelism);
      assert.deepEqual([...seen.get(JSON.stringify(key))!], [expected], `key ${JSON.stringify(key)}`);
    }
  }
});

test('array keys normalize to the tagged JSON text (the form key groups and snapshots were computed from)', () => {
  const replacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);
  const keys: Key[] = [
    [1, 2],
    [-0, 0.5, 1e21, 1e-7, Number.NaN, Number.POSITIVE_INFINITY],
    ['a"b\u2028', '\u0000x', ''],
    [1, 'x', true],
    [[1, 2], 3],
    [2n, 1],
    [],
    [false],
  ];
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let i = 0; i < 2000; i++)
    keys.push([random() * 1e12 - 5e11, Math.floor(random() * 1e6), String.fromCharCode(random() * 65535)]);
  for (const key of keys) assert.equal(normalizeKey(key), `\u0004${JSON.stringify(key, replacer)}`);
});
