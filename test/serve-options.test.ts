import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ENGINE_OPTIONS, engineArgv, flagOf } from '../src/web/engine-options.js';

/** The engine options a submission may carry are options of `sluice run`, by the same names. */

const root = new URL('..', import.meta.url).pathname;

test('every engine option of POST /jobs is a flag of sluice run', () => {
  const help = spawnSync(process.execPath, [join(root, 'bin/sluice.mjs'), 'run', '--help'], {
    encoding: 'utf8',
  }).stdout;
  const missing = Object.keys(ENGINE_OPTIONS).filter((k) => !new RegExp(`${flagOf(k)}\\b`).test(help));
  assert.deepEqual(missing, []);
});

test('engineArgv turns camelCase options into flags, booleans into bare flags', () => {
  assert.deepEqual(
    engineArgv({ file: 'x.ts', maxParallelism: 8, fresh: true, allowNonRestoredState: false, mode: 'batch' }),
    ['--max-parallelism', '8', '--mode', 'batch', '--fresh'],
  );
});
