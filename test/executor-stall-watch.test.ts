import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamExecutionEnvironment } from '../src/index.js';

/** Runs `body` with stderr lines that mention a missed wake-up collected. */
async function collectingStallWarnings(body: (warnings: string[]) => Promise<void>): Promise<void> {
  const stderrWrite = process.stderr.write.bind(process.stderr);
  const warnings: string[] = [];
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (String(chunk).includes('missed wake-up')) warnings.push(String(chunk));
    return (stderrWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    await body(warnings);
  } finally {
    process.stderr.write = stderrWrite;
  }
}

test('a round whose time budget is spent before its first pass still runs that pass', { timeout: 30_000 }, async () => {
  // The clock jumps 11 ms at every read, as when the thread is preempted or a GC pause falls between the round's
  // first two clock reads: a round that took that for its budget ran no pass, found no work and slept for good.
  const realNow = performance.now.bind(performance);
  let skew = 0;
  performance.now = () => realNow() + (skew += 11);
  try {
    await collectingStallWarnings(async (warnings) => {
      const env = StreamExecutionEnvironment.create({ batchSize: 64 });
      const h = env
        .fromGenerator((i) => i, { count: 2_000 })
        .map((x: number) => x + 1)
        .collect('budget');
      await env.execute();
      assert.equal((h.get() as number[]).length, 2_000);
      assert.deepEqual(warnings, [], 'no round had to be resumed');
    });
  } finally {
    performance.now = realNow;
  }
});

/**
 * The executor's stall watch: a wake-up of the loop that goes missing must not leave a job waiting forever with work
 * it could do. A missed wake-up is simulated by dropping one of the loop's `setImmediate` calls in the middle of a
 * run; without the watch the job below never ends (the test's timeout fails it).
 */
test('a round of the loop that never runs is resumed by the stall watch, and the job completes', {
  timeout: 30_000,
}, async () => {
  const realSetImmediate = globalThis.setImmediate;
  let loops = 0;
  let dropped = false;
  globalThis.setImmediate = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => {
    // The executor's loop is the arrow function held in its `loop` field.
    if (fn.name === 'loop' && ++loops === 5 && !dropped) {
      dropped = true;
      return { ref() {}, unref() {}, hasRef: () => false } as unknown as NodeJS.Immediate;
    }
    return realSetImmediate(fn, ...args);
  }) as typeof setImmediate;
  try {
    await collectingStallWarnings(async (warnings) => {
      const env = StreamExecutionEnvironment.create({ batchSize: 64 });
      const h = env
        .fromGenerator((i) => i, { count: 20_000 })
        .map((x: number) => x * 2)
        .collect('stall');
      await env.execute();
      assert.equal(dropped, true, 'the simulated missed wake-up happened');
      const out = h.get() as number[];
      assert.equal(out.length, 20_000);
      assert.equal(
        out.reduce((a, b) => a + b, 0),
        2 * ((20_000 * 19_999) / 2),
      );
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /thread 1 had work ready but no round of its loop ran for 1 s .*resumed it/);
    });
  } finally {
    globalThis.setImmediate = realSetImmediate;
  }
});
