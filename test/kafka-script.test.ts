import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

/**
 * The cluster ids scripts/kafka.sh formats the broker's storage with (no broker is started here): 22 characters of
 * URL-safe base64, never starting with '-', which the storage tool would take for an option.
 */

const script = new URL('../scripts/kafka.sh', import.meta.url).pathname;
const ID = /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/;

function clusterIds(n: number, env: Record<string, string> = {}): string[] {
  const r = spawnSync('bash', [script, 'cluster-id', String(n)], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('a draw that would start with "-" is replaced by the next one', () => {
  // The first 16 bytes encode to "-Pj4-Pj4…" (0xf8 is 111110.. in base64, '+' made URL-safe as '-').
  const source = join(mkdtempSync(join(tmpdir(), 'sluice-kafka-id-')), 'random');
  writeFileSync(source, Buffer.from([...Array(16).fill(0xf8), ...Array.from({ length: 16 }, (_, i) => 65 + i)]));
  assert.deepEqual(clusterIds(1, { KAFKA_RANDOM_SOURCE: source }), [
    Buffer.from(Array.from({ length: 16 }, (_, i) => 65 + i)).toString('base64url'),
  ]);
});

test('random cluster ids are well formed and distinct', () => {
  const ids = clusterIds(200);
  assert.equal(ids.length, 200);
  for (const id of ids) assert.match(id, ID);
  assert.equal(new Set(ids).size, ids.length);
});
