import assert from 'node:assert/strict';
import { test } from 'node:test';
import { typecheck } from './fixtures/typecheck.js';

/** The API infers result types from the functions given to it; `test/types/inference.ts` states what it must infer. */

test('result types of windows, process functions, joins and connect are inferred from their arguments', async () => {
  const r = await typecheck(['test/types/inference.ts'], '.typecheck');
  assert.equal(r.code, 0, r.output);
});
