import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderFunctionDocs } from '../src/sql/functions/function-docs.js';
import { FunctionRegistry } from '../src/sql/functions/function-registry.js';

const PATH = new URL('../docs/SQL-FUNCTIONS.md', import.meta.url);

test('docs/SQL-FUNCTIONS.md lists exactly the registry (UPDATE_DOCS=1 rewrites it)', () => {
  const registry = new FunctionRegistry();
  const expected = renderFunctionDocs(registry);
  if (process.env.UPDATE_DOCS === '1') writeFileSync(PATH, expected);
  assert.equal(readFileSync(PATH, 'utf8'), expected, 'docs/SQL-FUNCTIONS.md is out of date: run with UPDATE_DOCS=1');
  for (const name of registry.names()) assert.ok(expected.includes(name), `${name} documented`);
});
