import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { runJob } from '../src/index.js';
import { BatchCodec } from '../src/runtime/batch-codec.js';
import { overPort } from './batch-codec-helpers.js';

class Point {
  constructor(
    readonly x: number,
    readonly y: string,
  ) {}
}

const stringValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }), // lone surrogates included
  fc.constantFrom('', 'channel-1', 'é', '\u{1F600}', '\uD800', 'a\u0000b'),
);
const leaf = fc.oneof(
  fc.double(),
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 2, -1e-300),
  fc.integer(),
  stringValue,
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.date({ noInvalidDate: true }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object'), tie('special')),
  array: fc.array(tie('any'), { maxLength: 5 }),
  object: fc.dictionary(fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('0', '12', 'key')), tie('any'), {
    maxKeys: 5,
  }),
  special: fc.oneof(
    fc.constant(JSON.parse('{"__proto__": 1, "a": 2}')),
    fc.constant(Object.assign(Object.create(null), { a: 1, b: 'x' })),
    fc.constant(new Point(1, 'p')),
    fc.constant(new Map([[1, 'a']])),
    fc.constant(new Set(['s'])),
    // biome-ignore lint/suspicious/noSparseArray: a sparse array keeps its hole through the copy
    fc.constant([1, , 3]),
    fc.constant(Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, i]))),
  ),
})).any;

/** Records as jobs make them: mostly a few shapes repeated, sometimes anything. */
const batchValues = fc.oneof(
  fc.array(value, { maxLength: 40 }),
  fc
    .tuple(fc.array(fc.record({ id: fc.integer(), name: stringValue, price: fc.double(), tags: value })), value)
    .map(([rows, odd]) => [...rows.slice(0, 5), odd, ...rows.slice(5)]),
  fc.array(fc.tuple(fc.integer(), stringValue, value), { maxLength: 30 }),
  fc.array(fc.integer(), { maxLength: 30 }),
);

test('a batch decoded on the other side equals its structured clone, whatever the records', () => {
  const sender = new BatchCodec();
  const receiver = new BatchCodec();
  fc.assert(
    fc.property(batchValues, (values) => {
      const timestamps = values.map((_, i) => (i % 3 === 0 ? Number.NEGATIVE_INFINITY : i * 1000.5));
      const decoded = receiver.decode(overPort(sender.encode({ values, timestamps })));
      assert.deepStrictEqual(decoded.values, structuredClone(values));
      assert.deepStrictEqual(decoded.timestamps, timestamps);
    }),
    { numRuns: 400 },
  );
});

test('repeated strings cross once per batch, and every record still equals its structured clone', () => {
  // A few channels repeat (the dictionary keeps them), free text does not (its field leaves the dictionary after a
  // trial), odd records travel whole in between, and a string may repeat across fields and shapes.
  const channel = fc.constantFrom('Google', 'Apple', 'channel-7', '', 'é\u{1F600}');
  const row = fc.record({ channel, url: channel.map((c) => `https://x/${c}`), extra: fc.string(), n: fc.integer() });
  const other = fc.oneof(fc.tuple(channel, fc.integer()), fc.constant(new Map([[1, 'Google']])), channel);
  const sender = new BatchCodec();
  const receiver = new BatchCodec();
  fc.assert(
    fc.property(
      fc.array(fc.oneof({ weight: 8, arbitrary: row }, { weight: 1, arbitrary: other }), {
        minLength: 100,
        maxLength: 300,
      }),
      (values) => {
        const enc = sender.encode({ values, timestamps: values.map(() => 0) });
        const strings = values.filter((v) => typeof v === 'object' && v !== null && 'channel' in v).length;
        // Five channels: far fewer copied values than the rows' channel and url fields once there are many rows.
        if (strings >= 50) assert.ok(enc.other.length < strings * 2, `${enc.other.length} values for ${strings} rows`);
        const decoded = receiver.decode(overPort(enc));
        assert.deepStrictEqual(decoded.values, structuredClone(values));
      },
    ),
    { numRuns: 200 },
  );
});

test('partials [key, object] lay their object out inline, and odd ones in between still arrive intact', () => {
  // Local-global aggregation sends [key, accumulator]: the accumulator's fields are written as a record's own, so
  // they do not go to the structured clone one object at a time. Between them: other keys, a hole, a nested array.
  const acc = (i: number) => ({ auction: i, bidder: i * 7, price: i * 1.5, url: `https://x/${i % 3}`, extra: `e${i}` });
  const values: unknown[] = Array.from({ length: 200 }, (_, i) => [`k${i % 17}`, acc(i)]);
  // biome-ignore lint/suspicious/noSparseArray: a sparse array keeps its hole through the copy
  const hole = [, acc(2)];
  values.splice(50, 0, ['odd', { price: 1, auction: 2 }], ['k', [acc(1)]], hole, ['k', null], ['k', acc(3), 9]);
  const sender = new BatchCodec();
  const enc = sender.encode({ values, timestamps: values.map(() => 0) });
  // Strings only (keys, urls, extras): the objects themselves are not among the values the port clones.
  assert.ok(
    enc.other.filter((v) => typeof v === 'object' && v !== null).length <= 4,
    `${enc.other.length} cloned values`,
  );
  const decoded = new BatchCodec().decode(overPort(enc));
  assert.deepStrictEqual(decoded.values, structuredClone(values));
});

test('partials [key, list of objects] (a top-N) lay their rows out inline, and odd lists still arrive intact', () => {
  const row = (i: number) => ({ auction: i % 5, bidder: i, price: i * 2.5, channel: `c${i % 3}`, extra: `x${i}` });
  const top = (i: number) => Array.from({ length: 1 + (i % 4) }, (_, j) => row(i * 10 + j));
  const values: unknown[] = Array.from({ length: 300 }, (_, i) => [i % 5, top(i)]);
  // biome-ignore lint/suspicious/noSparseArray: a sparse list keeps its hole through the copy
  const sparse = [row(1), , row(2)];
  const odd = [
    [1, []],
    [1, sparse],
    [1, [row(1), { auction: 1, price: 2 }]], // rows of two shapes
    [1, [row(1), new Date(0)]],
    [1, Array.from({ length: 20 }, (_, j) => row(j))], // longer than a list laid out inline
    [1, [row(3)], [row(4), row(5)]],
    [1, [1, 2, 3]],
  ];
  values.splice(100, 0, ...odd);
  const sender = new BatchCodec();
  const enc = sender.encode({ values, timestamps: values.map(() => 0) });
  // The rows of the 300 partials are not among the values the port clones: only strings, and the odd ones.
  const cloned = enc.other.filter((v) => typeof v === 'object' && v !== null).length;
  assert.ok(cloned <= odd.length * 2, `${cloned} objects cloned`);
  const decoded = new BatchCodec().decode(overPort(enc));
  assert.deepStrictEqual(decoded.values, structuredClone(values));
});

test('more shapes in one batch than the codec lays out still arrive intact', () => {
  const values = Array.from({ length: 100 }, (_, i) => ({ [`field${i}`]: i, common: `v${i}` }));
  const c = new BatchCodec();
  const decoded = c.decode(overPort(c.encode({ values, timestamps: values.map(() => 0) })));
  assert.deepStrictEqual(decoded.values, values);
});

test('decoded records of one shape keep the key order of the original', () => {
  const values = [
    { b: 1, a: 'x' },
    { a: 2, b: 'y' },
  ];
  const c = new BatchCodec();
  const decoded = c.decode(overPort(c.encode({ values, timestamps: [0, 0] }))).values as object[];
  assert.deepStrictEqual(decoded.map(Object.keys), [
    ['b', 'a'],
    ['a', 'b'],
  ]);
});

test('a record that is not data fails the job naming the operator it was sent to and the record', async () => {
  const job = fileURLToPath(new URL('./fixtures/uncopyable-record-job.ts', import.meta.url));
  await assert.rejects(runJob(job, { config: { parallelism: 2 } }), (e: Error) =>
    /sent to 'after-exchange'.*on another thread cannot be copied there: .*"id":\s*\d*7\b.*could not be cloned/s.test(
      e.message,
    ),
  );
});
