import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FAKE_SLUICE, killJobProcesses, type Service, startService } from './fixtures/web/serve-process.js';

/** The security rules of `sluice serve`, each refusal checked against the real service. */

const dir = mkdtempSync(join(tmpdir(), 'sluice-serve-sec-'));
const allowed = join(dir, 'allowed');
const outside = join(dir, 'outside');
mkdirSync(allowed);
mkdirSync(outside);
writeFileSync(join(allowed, 'job.ts'), '');
writeFileSync(join(outside, 'job.ts'), '');
symlinkSync(join(outside, 'job.ts'), join(allowed, 'link.ts'));
const TOKEN = 'token-for-tests';
let service: Service;

before(async () => {
  service = await startService(
    ['--port', '0', '--data-dir', join(dir, 'data'), '--allow-dir', allowed, '--job-command', FAKE_SLUICE],
    { env: { SLUICE_TOKEN: TOKEN }, token: TOKEN },
  );
});
after(async () => {
  await service.stop('SIGKILL');
  killJobProcesses(join(dir, 'data'));
});

test('a non-loopback bind without a token is refused at start', async () => {
  await assert.rejects(
    startService(['--port', '0', '--host', '0.0.0.0', '--data-dir', join(dir, 'data2')]),
    /exited with 2: error: binding 0\.0\.0\.0 needs a token/,
  );
});

test('a missing or wrong token gets 401', async () => {
  assert.equal((await fetch(`${service.url}/jobs/overview`)).status, 401);
  const wrong = await fetch(`${service.url}/jobs/overview`, { headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
  assert.equal((await service.api('GET', '/jobs/overview')).status, 200);
});

test('a cross-origin POST gets 403; an oversize body 413', async () => {
  const post = (headers: Record<string, string>, body: string) =>
    fetch(`${service.url}/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      body,
    });
  const cross = await post({ origin: 'https://evil.example' }, JSON.stringify({ file: join(allowed, 'job.ts') }));
  assert.equal(cross.status, 403);
  const big = await post({}, JSON.stringify({ sql: 'x'.repeat(1024 * 1024) }));
  assert.equal(big.status, 413);
});

test('job files outside the allowed directories (symlinks resolved) get 403 naming the rule', async () => {
  for (const file of [join(outside, 'job.ts'), join(allowed, 'link.ts'), join(allowed, '..', 'outside', 'job.ts')]) {
    const r = await service.api('POST', '/jobs', { file, args: ['never'] });
    assert.equal(r.status, 403, file);
    assert.match(r.json.errors[0], /is outside the allowed directories .*--allow-dir/);
  }
  const ck = await service.api('POST', '/jobs', { file: join(allowed, 'job.ts'), checkpointDir: join(outside, 'ck') });
  assert.equal(ck.status, 403);
  assert.match(ck.json.errors[0], /^checkpointDir /);
});

test('unknown options get 400 naming them', async () => {
  const r = await service.api('POST', '/jobs', { file: join(allowed, 'job.ts'), paralellism: 2, checkpointdir: 'x' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.json, { errors: ['unknown fields: paralellism, checkpointdir'] });
  const missing = await service.api('POST', '/jobs', { file: join(allowed, 'missing.ts') });
  assert.deepEqual(
    [missing.status, missing.json.errors[0]],
    [400, `job file not found: ${join(allowed, 'missing.ts')}`],
  );
});
