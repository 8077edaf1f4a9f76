import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NexmarkGenerator } from '../../src/connectors/nexmark/nexmark-generator.js';
import { describeExit, root, SluiceProcess } from '../fixtures/ckpt-support.js';

const job = join(root, 'test/fixtures/sql-nexmark-to-files-job.ts');

/** The lines the sink must hold: every bid once, in the json format's text (events 1 ms apart: rate 1000). */
function expectedLines(events: number): string[] {
  const g = new NexmarkGenerator({ seed: 0, baseTime: 0, firstEventRate: 1000 });
  const lines: string[] = [];
  for (let i = 0; i < events; i++) {
    const e = g.event(i);
    if (e.event_type !== 2) continue;
    const ts = new Date(e.bid.dateTime).toISOString().replace('T', ' ').replace('Z', '');
    lines.push(`{"event_type":2,"bid":{"auction":${e.bid.auction},"price":${e.bid.price},"dateTime":"${ts}"}}`);
  }
  return lines.sort();
}

function committed(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.startsWith('part-'))
    .flatMap((n) =>
      readFileSync(join(dir, n), 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
}

test('filesystem sink with checkpoints: killed mid-run and restarted, every row exactly once (p=2)', {
  timeout: 180_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sql-sink-restart-'));
  const out = join(dir, 'out');
  const ck = join(dir, 'ck');
  const events = 3000;
  const args = [
    'run',
    job,
    '-p',
    '2',
    '--checkpoint-dir',
    ck,
    '--checkpoint-interval',
    '100',
    '-v',
    '--',
    out,
    String(events),
    '1000',
  ];
  const first = new SluiceProcess(args, 120_000);
  const checkpointed = await first.waitUntil(() => first.completedCheckpoints().length >= 3, 60_000);
  assert.ok(checkpointed, describeExit(await first.kill()));
  await first.kill();
  assert.ok(committed(out).length < expectedLines(events).length, 'the kill came before the end');
  const second = new SluiceProcess(args, 120_000);
  const exit = await second.exited;
  assert.equal(exit.code, 0, describeExit(exit));
  assert.deepEqual(committed(out).sort(), expectedLines(events));
});
