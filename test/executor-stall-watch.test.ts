import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamExecutionEnvironment } from '../src/index.js';

/**
 * The executor's stall watch: a wake-up of the loop that goes missing must not leave a job waiting forever with work
 * it could do. A missed wake-up is simulated by dropping one of the loop's `setImmediate` calls in the middle of a
 * run; without the watch the job below never ends (the test's timeout fails it).
 */
test('a round of the loop that never runs is resumed by the stall watch, and the job completes', {
  timeout: 30_000,
}, async () => {
  const realSetImmediate = globalThis.setImmediate;
  const stderrWrite = process.stderr.write.bind(process.stderr);
  const warnings: string[] = [];
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
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (String(chunk).includes('missed wake-up')) warnings.push(String(chunk));
    return (stderrWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
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
  } finally {
    globalThis.setImmediate = realSetImmediate;
    process.stderr.write = stderrWrite;
  }
});
