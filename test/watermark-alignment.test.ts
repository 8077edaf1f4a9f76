import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runJob, WatermarkStrategies } from '../src/index.js';
import { WatermarkAlignment } from '../src/runtime/watermark-alignment.js';

const job = new URL('./fixtures/aligned-sources-job.ts', import.meta.url).pathname;

/** The largest lead of the fast source over the slow one that the joining operator saw. */
async function largestLead(parallelism: number, drift: string, fast = 'generator'): Promise<number> {
  const result = await runJob(job, { args: ['40000', '20000', drift, fast], config: { parallelism } });
  const leads = (result.collected['drift'] ?? []) as number[];
  return Math.max(0, ...leads);
}

describe('watermark alignment', () => {
  test('a subtask is ahead only against members that reported, and not once it is idle or ended', () => {
    const slots = new BigInt64Array(new SharedArrayBuffer(8 * 3)).fill(-(2n ** 62n));
    const layout = { spec: { group: 'g', maxDriftMs: 100 }, offset: 0, members: [0, 1, 2] };
    const [a, b, c] = [0, 1, 2].map((i) => new WatermarkAlignment(slots, layout, i)) as [
      WatermarkAlignment,
      WatermarkAlignment,
      WatermarkAlignment,
    ];
    assert.equal(a.ahead(), false, 'no watermark yet');
    a.publish(1_000);
    assert.equal(a.ahead(), false, 'the others have not reported: they hold nobody back');
    b.publish(950);
    assert.equal(a.ahead(), false, 'within the drift');
    b.publish(899);
    assert.equal(a.ahead(), true, '101 ms ahead of b');
    b.idle(true, 899);
    assert.equal(a.ahead(), false, 'b is idle');
    b.idle(false, 899);
    assert.equal(a.ahead(), true, 'b is active again');
    c.publish(500);
    b.publish(Number.POSITIVE_INFINITY);
    assert.equal(a.ahead(), true, 'c is behind');
    c.publish(Number.POSITIVE_INFINITY);
    assert.equal(a.ahead(), false, 'every other input ended');
    assert.equal(b.ahead(), false, 'an ended subtask never waits');
  });

  test('the strategy checks its arguments', () => {
    const s = WatermarkStrategies.forMonotonousTimestamps<number>();
    assert.throws(() => s.withWatermarkAlignment('', 10), /group must not be empty/);
    assert.throws(() => s.withWatermarkAlignment('g', -1), /maxDriftMs must be a finite number >= 0/);
    assert.deepEqual(s.withWatermarkAlignment('g', 5).withIdleness(10).alignment, { group: 'g', maxDriftMs: 5 });
  });

  // A fast source (40,000 ticks at once) beside a slow one (20,000 ticks per second): aligned, the fast one may lead
  // by the allowed drift plus what it read before it looked again (one batch: up to 1,024 records, 2,048 ms of ticks
  // at p=2) and the slow ticks still in flight to the joining operator (a few small batches, bounded by credits).
  // Without alignment the lead was 12,700–39,600 ms in trials (the fast source is done before the slow one is far).
  for (const parallelism of [1, 2]) {
    test(`the fast source waits for the slow one (p=${parallelism}, on ${parallelism} thread(s))`, async () => {
      const lead = await largestLead(parallelism, '2000');
      assert.ok(lead < 2_000 + 6_000, `largest lead ${lead} ms`);
    });
  }

  test('a source with per-split watermarks (as Kafka partitions) waits too', async () => {
    const lead = await largestLead(2, '2000', 'split');
    assert.ok(lead < 2_000 + 6_000, `largest lead ${lead} ms`);
  });

  test('checkpoints complete while a source waits for alignment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-align-'));
    try {
      let checkpoints = 0;
      const result = await runJob(job, {
        args: ['40000', '20000', '2000'],
        config: { parallelism: 2 },
        checkpointDir: dir,
        checkpointIntervalMs: 50,
        onCheckpoint: () => checkpoints++,
      });
      // The slow source takes about two seconds; the fast one waits for most of them.
      assert.ok(checkpoints >= 2, `${checkpoints} checkpoints`);
      assert.ok(Math.max(0, ...((result.collected['drift'] ?? []) as number[])) < 8_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
