import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type Collector,
  type ListCheckpointed,
  type ProcessFunction,
  type RuntimeContext,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategies,
} from '../src/index.js';
import { checkpointedRun, committedLines, describeExit, runSluice, SluiceProcess } from './fixtures/ckpt-support.js';

/**
 * A function's own list as operator state (ListCheckpointed): a job that holds every record until its input ends is
 * cancelled after a few checkpoints and run again from them at another parallelism. The rerun must emit every
 * record exactly once — the held ones only exist in the restored lists — and each new subtask must get an even,
 * contiguous share of the lists in subtask order. Then the same through the command line, on worker threads: a
 * broadcast join whose orders wait for their products is SIGKILLed at p=2 and rerun at p=3.
 */

const N = 4_000;
/** What each subtask's restoreList received, by subtask index (the job runs in this process). */
const restored = new Map<number, number[]>();

class HoldUntilEnd implements ProcessFunction<number, number>, ListCheckpointed<number> {
  private held: number[] = [];
  private subtask = -1;
  open(ctx: RuntimeContext): void {
    this.subtask = ctx.subtaskIndex;
  }
  processElement(x: number, _ctx: unknown, _out: Collector<number>): void {
    this.held.push(x);
  }
  endInput(out: Collector<number>): void {
    for (const x of this.held) out.collect(x);
  }
  snapshotList(): number[] {
    return this.held.slice();
  }
  restoreList(items: number[]): void {
    restored.set(this.subtask, items.slice());
    this.held = items;
  }
}

function build(parallelism: number, dir: string, rate: number | undefined) {
  const env = StreamExecutionEnvironment.create({ parallelism });
  env.enableCheckpointing(20, dir);
  const h = env
    .fromGenerator((i) => i, { count: N, ratePerSecond: rate })
    .process(new HoldUntilEnd(), 'hold')
    .collect(`held-${parallelism}-${rate ?? 'max'}`);
  return { env, h };
}

/** Runs at `parallelism` until two checkpoints completed with records held, then cancels. */
async function runPartWay(parallelism: number, dir: string): Promise<number[]> {
  const { env, h } = build(parallelism, dir, 2_000);
  const abort = new AbortController();
  let completed = 0;
  const result = await env.execute('list-checkpointed', {
    signal: abort.signal,
    log: () => {},
    onCheckpoint: () => {
      if (++completed === 2) abort.abort();
    },
  });
  assert.equal(result.cancelled, true, 'the first run should have been cancelled part way');
  return h.get();
}

for (const [before, after] of [
  [2, 3],
  [3, 2],
  [2, 2],
] as const) {
  test(`held records survive a restore from parallelism ${before} to ${after}`, { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-list-ckpt-'));
    const first = await runPartWay(before, dir);
    assert.deepEqual(first, [], 'nothing is emitted before the input ends');
    restored.clear();
    const { env, h } = build(after, dir, undefined);
    await env.execute('list-checkpointed', { log: () => {} });
    assert.deepEqual(
      h.get().sort((a, b) => a - b),
      Array.from({ length: N }, (_, i) => i),
      'every record exactly once after the restore',
    );
    const shares = Array.from({ length: after }, (_, s) => restored.get(s));
    assert.ok(
      shares.every((s) => s !== undefined),
      'every subtask restores its share',
    );
    const sizes = shares.map((s) => s!.length);
    const total = sizes.reduce((a, b) => a + b, 0);
    assert.ok(total > 0, 'the checkpoint held records');
    // Subtask s of the first run held the numbers i with i % before === s, in order.
    if (before === after) {
      shares.forEach((items, s) => {
        assert.ok(
          items!.every((x) => x % before === s),
          `subtask ${s} gets its own list back`,
        );
      });
    } else {
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `even shares: ${sizes.join(', ')}`);
      const all = Array.from({ length: before }, (_, s) =>
        shares
          .flat()
          .filter((x) => x! % before === s)
          .sort((a, b) => a! - b!),
      ).flat();
      assert.deepEqual(shares.flat(), all, 'contiguous shares of the lists in subtask order');
    }
  });
}

test('a window function that implements ListCheckpointed is refused, not silently left out', async () => {
  const env = StreamExecutionEnvironment.create();
  env
    .fromCollection([1, 2, 3])
    .assignTimestampsAndWatermarks(
      WatermarkStrategies.forMonotonousTimestamps<number>().withTimestampAssigner((x) => x),
    )
    .keyBy(() => 'k')
    .window(TumblingEventTimeWindows.of(10))
    .process({
      process(_key: string, _ctx: unknown, xs: number[], out: Collector<number>) {
        for (const x of xs) out.collect(x);
      },
      snapshotList: () => [],
      restoreList: () => {},
    } as never)
    .name('listy-window')
    .collect('listy-window');
  await assert.rejects(env.execute(), /listy-window[\s\S]*ListCheckpointed/);
});

test('a list in the checkpoint that the function no longer keeps fails the restore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-list-ckpt-'));
  await runPartWay(2, dir);
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  env.enableCheckpointing(20, dir);
  env
    .fromGenerator((i) => i, { count: N })
    .process({ processElement() {} }, 'hold')
    .collect('forgetful');
  await assert.rejects(
    env.execute('list-checkpointed', { log: () => {} }),
    /'hold'[\s\S]*no longer implements snapshotList/,
  );
});

test('a broadcast join killed while orders wait, then rerun at another parallelism, prices every order once', {
  timeout: 170_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-list-ckpt-'));
  const job = fileURLToPath(new URL('./fixtures/broadcast-join-job.ts', import.meta.url));
  const count = 12_000;
  const ck = join(dir, 'ck');
  const out = join(dir, 'out');
  const command = (p: number) =>
    checkpointedRun(job, p, ck, ['--count', String(count), '--rate', '2000', '--output', out]);
  // Products arrive over 6 s, one every 150 ms: after two checkpoints most orders of the first second still wait.
  const first = new SluiceProcess(command(2));
  try {
    const checkpointed = await first.waitUntil(() => first.completedCheckpoints().length >= 2, 90_000);
    assert.ok(checkpointed, `no checkpoint completed\n${first.stderr}`);
  } finally {
    await first.kill();
  }
  assert.notEqual(first.exit?.code, 0, 'the first run should have been killed before its end');
  const second = await runSluice(command(3));
  assert.equal(second.code, 0, describeExit(second));
  assert.match(second.stderr, /restoring from checkpoint \d+/);
  const expected = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ id: i, total: ((i % 7) + 1) * ((i % 40) + 1) }),
  ).sort();
  assert.deepEqual(committedLines(out), expected);
});
