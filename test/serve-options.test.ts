import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ENGINE_OPTIONS, engineArgv, flagOf } from '../src/web/engine-options.js';
import { probeCapabilities } from '../src/web/service/child-command.js';

/** The engine options a submission may carry are options of `sluice run`, by the same names. */

const root = new URL('..', import.meta.url).pathname;

test('every engine option of POST /jobs is a flag of sluice run', () => {
  const help = spawnSync(process.execPath, [join(root, 'bin/sluice.mjs'), 'run', '--help'], {
    encoding: 'utf8',
  }).stdout;
  const missing = Object.keys(ENGINE_OPTIONS).filter((k) => !new RegExp(`${flagOf(k)}\\b`).test(help));
  assert.deepEqual(missing, []);
});

test("the service finds the job-process protocol in this package's sluice run --help", async () => {
  const caps = await probeCapabilities(join(root, 'bin/sluice.mjs'));
  assert.equal(caps.webProtocol, true, '--web-port-file and --job-dir are listed');
  assert.equal(caps.jobId, true, '--web-job-id is listed');
});

test('engineArgv turns camelCase options into flags, booleans into bare flags', () => {
  assert.deepEqual(
    engineArgv({ file: 'x.ts', maxParallelism: 8, fresh: true, allowNonRestoredState: false, mode: 'batch' }),
    ['--max-parallelism', '8', '--mode', 'batch', '--fresh'],
  );
});
