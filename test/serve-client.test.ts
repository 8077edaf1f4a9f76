import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FAKE_SLUICE, killJobProcesses, type Service, startService, untilState } from './fixtures/web/serve-process.js';

/** The CLI client commands against a running service (with the stand-in job command). */

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sluice-client-'));
let service: Service | undefined;
after(async () => {
  await service?.stop('SIGKILL');
  killJobProcesses(join(dir, 'data'));
});

const sluice = (...args: string[]) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    // Asynchronous: the service runs in this test's event loop's children and must keep answering.
    const c = spawn(
      process.execPath,
      [join(root, 'bin/sluice.mjs'), args[0]!, '--server', service!.url, ...args.slice(1)],
      { cwd: dir },
    );
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d));
    c.stderr.on('data', (d: Buffer) => (stderr += d));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });

test('submit, list, logs, cancel from the command line', async () => {
  service = await startService(['--port', '0', '--data-dir', join(dir, 'data'), '--job-command', FAKE_SLUICE]);
  writeFileSync(join(dir, 'job.ts'), '');
  const submit = await sluice('submit', 'job.ts', '--parallelism', '3', '--', join(dir, 'never'));
  assert.equal(submit.code, 0, submit.stderr);
  const jid = submit.stdout.trim();
  await untilState(service, jid, ['RUNNING']);
  const list = await sluice('list');
  assert.match(list.stdout, new RegExp(`^${jid}  RUNNING .* job\\.ts$`, 'm'));
  assert.equal((await sluice('cancel', jid)).code, 0);
  await untilState(service, jid, ['CANCELED']);
  const logs = await sluice('logs', jid, '--follow');
  assert.equal(logs.code, 0);
  assert.match(logs.stdout, /"msg":"job started"/);
  assert.match(logs.stdout, /"msg":"cancelled"/);
  const again = await sluice('cancel', jid);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^error: 409: Job .* is CANCELED, not RUNNING/);
  const unknown = await sluice('submit', 'job.ts', '--parallelism', '0');
  assert.match(unknown.stderr, /error: 400: body\/parallelism must be >= 1/);
});
