import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileSource } from '../src/connectors/files/index.js';
import {
  compileJsonProjection,
  type JsonProjection,
  projectJson,
  UNDECODED,
} from '../src/connectors/formats/json-projection.js';
import { KafkaSource } from '../src/connectors/kafka/index.js';
import { deserializer } from '../src/connectors/kafka/serde.js';
import { PlanError } from '../src/core/errors.js';
import type { BadRecord } from '../src/core/source.js';
import { seededRandom } from './fixtures/ckpt-support.js';

const KEYS = ['a', 'b', 'id', 'bid', 'price', 'é', '日本', 'x y', '', '0', '12', 'toString', 'constructor'];
const PIECES = [
  'plain',
  '\\"',
  '\\\\',
  '\\/',
  '\\b\\f\\n\\r\\t',
  '\\u0041',
  '\\u00e9',
  '\\ud83d\\ude00',
  '\\ud800',
  '\\udfff',
  'é',
  '日本語',
  '😀',
  '\u2028',
  ' ',
  '~',
  '\\u0000',
];
const NUMBERS = [
  '0',
  '-0',
  '7',
  '-12',
  '123456789012345',
  '1234567890123456',
  '12345678901234567890',
  '-9007199254740993',
  '1.5',
  '-0.0',
  '0.1',
  '1e3',
  '1E-7',
  '-2.5e+10',
  '1e400',
  '4.9e-325',
  '0.30000000000000004',
];

/** Random JSON text (not necessarily one JSON.stringify would write: spacing, escapes, duplicate keys). */
function jsonText(next: () => number, depth: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const ws = () => pick(['', '', '', ' ', '\t', ' \r\n ']);
  const r = next();
  if (depth > 3 || r < 0.45) {
    const s = next();
    if (s < 0.4) return stringText(next, pick);
    if (s < 0.8) return pick(NUMBERS);
    return pick(['true', 'false', 'null']);
  }
  if (r < 0.6) {
    const n = Math.floor(next() * 4);
    const items = Array.from({ length: n }, () => ws() + jsonText(next, depth + 1) + ws());
    return `[${items.join(',') || ws()}]`;
  }
  const n = Math.floor(next() * 6);
  const members = Array.from({ length: n }, () => {
    const key = next() < 0.1 ? stringText(next, pick) : JSON.stringify(pick(KEYS));
    return `${ws()}${key}${ws()}:${ws()}${jsonText(next, depth + 1)}${ws()}`;
  });
  return `{${members.join(',') || ws()}}`;
}

function stringText(next: () => number, pick: <T>(xs: readonly T[]) => T): string {
  const n = Math.floor(next() * 5);
  return `"${Array.from({ length: n }, () => pick(PIECES)).join('')}"`;
}

function randomProjection(next: () => number, depth: number): JsonProjection {
  if (depth > 2 || next() < 0.3) return true;
  const out: Record<string, JsonProjection> = {};
  for (const key of KEYS) if (next() < 0.3) out[key] = randomProjection(next, depth + 1);
  return out;
}

/** Decodes `text` embedded between other bytes, which the decoder must not read. */
function decodeEmbedded(decode: (b: Buffer, s: number, e: number) => unknown, text: string): unknown {
  const body = Buffer.from(text);
  const before = Buffer.from('"\\{[ 1');
  const afterBytes = Buffer.from(' ]}"x\n');
  return decode(Buffer.concat([before, body, afterBytes]), before.length, before.length + body.length);
}

test('compiled projection: random valid JSON decodes to JSON.parse projected', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const next = seededRandom(seed);
    const projection = randomProjection(next, 0);
    const decode = compileJsonProjection(projection);
    for (let i = 0; i < 40; i++) {
      const text = jsonText(next, 0);
      const expected = projectJson(JSON.parse(text), projection);
      const actual = decodeEmbedded(decode, text);
      // Keys with escapes are left to JSON.parse by design; everything else must decode.
      if (actual === UNDECODED) {
        assert.ok(/"[^"]*\\/.test(text), `seed ${seed}: undecoded without an escape: ${text}`);
        continue;
      }
      assert.deepStrictEqual(actual, expected, `seed ${seed}, text ${text}`);
    }
  }
});

test('compiled projection: corrupted JSON is never decoded to a value JSON.parse would not give', () => {
  const alphabet = [
    '"',
    '\\',
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    '-',
    '.',
    'e',
    '0',
    '1',
    'u',
    'n',
    ' ',
    '\t',
    '\u0001',
    'é',
  ];
  let rejected = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const next = seededRandom(seed * 7919);
    const projection = randomProjection(next, 0);
    const decode = compileJsonProjection(projection);
    for (let i = 0; i < 40; i++) {
      const valid = jsonText(next, 0);
      const at = Math.floor(next() * (valid.length + 1));
      const op = next();
      const ch = alphabet[Math.floor(next() * alphabet.length)]!;
      const text =
        op < 0.3
          ? valid.slice(0, at) + valid.slice(at + 1)
          : op < 0.6
            ? valid.slice(0, at) + ch + valid.slice(at)
            : op < 0.9
              ? valid.slice(0, at) + ch + valid.slice(at + 1)
              : valid.slice(0, at);
      let expected: unknown = UNDECODED;
      try {
        // What a file holds is bytes: a corruption may split a surrogate pair, which UTF-8 cannot carry.
        expected = projectJson(JSON.parse(Buffer.from(text).toString()), projection);
      } catch {
        rejected++;
      }
      const actual = decodeEmbedded(decode, text);
      if (expected === UNDECODED) assert.equal(actual, UNDECODED, `seed ${seed}: accepted invalid JSON ${text}`);
      else if (actual !== UNDECODED) assert.deepStrictEqual(actual, expected, `seed ${seed}, text ${text}`);
    }
  }
  assert.ok(rejected > 1000, `only ${rejected} corruptions were invalid JSON`);
});

test('compiled projection: projected shape, missing fields, duplicates, non-objects', () => {
  const decode = compileJsonProjection({ event_type: true, bid: { price: true, extra: true } });
  const run = (text: string) => decodeEmbedded(decode, text);
  assert.deepStrictEqual(run('{"bid":{"price":1,"x":{"y":[1,2,{"z":"}"}]},"price":2},"bid":{"price":3}}'), {
    event_type: undefined,
    bid: { price: 3, extra: undefined },
  });
  assert.deepStrictEqual(Object.keys(run('{"bid":null,"event_type":2,"zzz":1}') as object), ['event_type', 'bid']);
  assert.deepStrictEqual(run('{"bid":[1,{"a":2}],"event_type":"t"}'), { event_type: 't', bid: [1, { a: 2 }] });
  assert.equal(run(' 42 '), 42);
  assert.equal(run(''), UNDECODED);
  assert.equal(run('{"bid":1}{}'), UNDECODED);
  assert.equal(run('{"bid":01}'), UNDECODED);
  assert.equal(run('{"bid":"tab\tinside"}'), UNDECODED);
  assert.ok(Object.is((run('{"event_type":-0}') as { event_type: number }).event_type, -0));
});

test('compiled projection: fields it cannot express exactly are refused at compile time', () => {
  assert.throws(() => compileJsonProjection({ a: { ['__proto__']: true } }), PlanError);
  assert.throws(() => compileJsonProjection({ 'bad\ufffd': true }), /bad/);
});

const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function readLines(
  text: string,
  fields: JsonProjection | undefined,
  chunkBytes: number,
): Promise<{ records: unknown[]; bad: BadRecord[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-projection-'));
  roots.push(dir);
  const file = join(dir, 'in.jsonl');
  await writeFile(file, text);
  const validate = (v: unknown) => {
    if ((v as { id?: unknown }).id === 'reject') throw new Error('id: rejected');
    return v;
  };
  const source = FileSource.jsonLines(file, { ...(fields === undefined ? {} : { fields }), validate, chunkBytes });
  const bad: BadRecord[] = [];
  const records: unknown[] = [];
  const reader = source.createReader({ subtaskIndex: 0, parallelism: 1, reportBadRecord: (b) => bad.push(b) });
  await reader.open?.();
  for (;;) {
    const result = reader.pollNext({ collect: (v) => records.push(v) }, 100);
    if (result === 'end') break;
    if (result === 'wait') await reader.available?.();
  }
  await reader.close?.();
  return { records, bad };
}

test('FileSource.jsonLines with fields: same records and the same bad-line reports as JSON.parse then projection', async () => {
  const text =
    '\ufeff{"id":1,"name":"ä","skip":{"deep":[1,2]}}\r\n' +
    '\n' +
    '   \r\n' +
    '{"id": 2, oops}\n' +
    '{"id":"reject"}\n' +
    '{"n\\u0061me":"escaped key","id":3}\n' +
    '{"id":4,"name":"x\\ty"}\n' +
    '[1,2]\n' +
    '{"id":5,"name":"tab\there"}\n' +
    '{"id":6}';
  const fields = { id: true, name: true } as const;
  for (const chunkBytes of [3, 1 << 20]) {
    const projected = await readLines(text, fields, chunkBytes);
    const plain = await readLines(text, undefined, chunkBytes);
    assert.deepStrictEqual(
      projected.records,
      plain.records.map((r) => projectJson(r, fields)),
    );
    const withoutPaths = (bad: BadRecord[]) => bad.map(({ line, reason, raw }) => ({ line, reason, raw }));
    assert.deepStrictEqual(withoutPaths(projected.bad), withoutPaths(plain.bad));
    assert.deepStrictEqual(
      projected.bad.map((b) => [b.line, b.reason.split(':')[0]]),
      [
        [4, 'invalid JSON'],
        [5, 'invalid record'],
        [9, 'invalid JSON'],
      ],
    );
    assert.deepStrictEqual(projected.records[0], { id: 1, name: 'ä' });
  }
});

test('FileSource: fields is for the jsonl format only', () => {
  assert.throws(() => new FileSource('x', { format: 'text', fields: { a: true } }), PlanError);
});

test('Kafka JSON values with fields: the value JSON.parse then projection gives, or its error', () => {
  for (let seed = 1; seed <= 100; seed++) {
    const next = seededRandom(1000 + seed);
    const projection = randomProjection(next, 0);
    const decode = deserializer<unknown>('json', 'value', projection);
    for (let i = 0; i < 20; i++) {
      const text = jsonText(next, 0);
      // Keys with escapes and other shapes left to JSON.parse take that path: the value is the same either way.
      assert.deepStrictEqual(decode(Buffer.from(text)), projectJson(JSON.parse(text), projection), `seed ${seed}`);
    }
  }
  const decode = deserializer<unknown>('json', 'value', { id: true, bid: { price: true } });
  assert.deepStrictEqual(decode(Buffer.from('{"bid":{"price":3,"url":"u"},"extra":[1]}')), {
    id: undefined,
    bid: { price: 3 },
  });
  assert.equal(decode(null), null);
  let parseError = '';
  try {
    JSON.parse('{"id": nope}');
  } catch (e) {
    parseError = (e as Error).message;
  }
  assert.throws(() => decode(Buffer.from('{"id": nope}')), { message: parseError });
  assert.throws(() => deserializer('string', 'value', { a: true }), /'fields' applies to json values only, not string/);
  assert.throws(
    () => new KafkaSource({ brokers: 'localhost:9092', topics: 't', value: 'bytes', fields: { a: true } }),
    PlanError,
  );
});
