/**
 * Decoded records and the job's own object literals of the same keys share V8's hidden classes. In a file of its
 * own: the check needs a fresh process, where the codec still runs unoptimised (as at a job's start), and it
 * switches on V8's natives syntax to ask V8 itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { BatchCodec } from '../src/runtime/batch-codec.js';
import { overPort } from './batch-codec-helpers.js';

test("decoding leaves the hidden class of the job's own literals alone, and decoded records share it", () => {
  // A decoded integer boxed as a double used to widen the field's representation in the hidden class that decoded
  // records share with the job's literals: the class the job's literal was built with became deprecated, and each
  // record the literal built afterwards was migrated at its first read.
  setFlagsFromString('--allow-natives-syntax');
  const sameClass = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: unknown, b: unknown) => boolean;
  const literal = (i: number) => ({ auctionId: 1000 + i, cents: 7, at: 1.7e12 + i, note: `n${i}` });
  const builtBefore = literal(0);
  const c = new BatchCodec();
  const decoded = c.decode(overPort(c.encode({ values: [literal(1), literal(2)], timestamps: [0, 0] }))).values;
  const builtAfter = literal(3);
  assert.ok(sameClass(builtBefore, builtAfter), 'the literal built after decoding kept its hidden class');
  assert.ok(sameClass(decoded[0], builtAfter), 'the decoded record has the hidden class of the literal');
  assert.deepStrictEqual(decoded, [literal(1), literal(2)]);
  // -0 is not a small integer: it stays -0.
  assert.ok(Object.is(c.decode(overPort(c.encode({ values: [-0], timestamps: [0] }))).values[0], -0));
});
