/**
 * The scaling policies on hand-built metric windows, against what DS2's arithmetic gives by hand: target rates from
 * the sources' backlog, propagated through output/input ratios, sized by true processing rates, with key-group skew,
 * forward edges, the scale-down limit and the threshold policy it is measured against.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { autoscalerOptions } from '../src/runtime/autoscaler/autoscaler-options.js';
import { busiestShare, ds2, thresholdPolicy } from '../src/runtime/autoscaler/scaling-policy.js';
import type { VertexWindow } from '../src/runtime/autoscaler/vertex-window.js';

const o = autoscalerOptions({ maxParallelism: 16, catchUpDurationMs: 10_000 });

function vertex(id: number, w: Partial<VertexWindow>): VertexWindow {
  return {
    id,
    name: `v${id}`,
    parallelism: 1,
    uids: [`u${id}`],
    source: false,
    inputs: id === 0 ? [] : [id - 1],
    forwardPeers: [],
    inputsCarryAll: true,
    maxParallelism: Number.POSITIVE_INFINITY,
    inRate: 0,
    outRate: 0,
    busy: [0.5],
    backPressured: [0],
    trueRate: undefined,
    ...w,
  };
}

test('DS2: target from source rate, backlog growth and catch-up, through a filter that halves the records', () => {
  // The source reads 1,000/s but its backlog grows by 500/s and holds 20,000: target 1,500 + 20,000 / 10 s = 3,500/s.
  const source = vertex(0, { source: true, inRate: 1000, outRate: 1000, backlog: 20_000, backlogGrowth: 500 });
  const filter = vertex(1, { inRate: 1000, outRate: 500, trueRate: 100_000, busy: [0.01] });
  const slow = vertex(2, { inRate: 500, outRate: 500, trueRate: 600, busy: [0.9], backPressured: [0] });
  const [, f, s] = ds2([source, filter, slow], o);
  assert.equal(f!.targetRate, 3500);
  assert.equal(f!.proposed, 1, f!.reason);
  // The slow vertex gets half: 1,750/s at 600 per busy second and 70 % utilisation → ⌈4.17⌉ = 5.
  assert.equal(s!.targetRate, 1750);
  assert.equal(s!.proposed, 5, s!.reason);
});

test('DS2 keeps a vertex whose needed utilisation is within the boundary, scales down no more than allowed', () => {
  const source = vertex(0, { source: true, inRate: 1000, outRate: 1000 });
  const fine = vertex(1, { parallelism: 2, inRate: 1000, outRate: 1000, trueRate: 700, busy: [0.7, 0.7] });
  const [, a] = ds2([source, fine], o);
  assert.equal(a!.proposed, 2, a!.reason);
  assert.match(a!.reason, /keep/);
  // 10 subtasks for 1,000/s at 5,000 per busy second: DS2 wants 1, the 0.6 factor allows 10 → 4.
  const idle = vertex(1, { parallelism: 10, inRate: 1000, outRate: 1000, trueRate: 5000, busy: Array(10).fill(0.02) });
  const [, b] = ds2([source, idle], o);
  assert.equal(b!.proposed, 4, b!.reason);
});

test('DS2 with key groups: the busiest subtask must keep up; a hot key stops what cannot help', () => {
  const source = vertex(0, { source: true, inRate: 1000, outRate: 1000, backlog: 0, backlogGrowth: 200 });
  // Uniform over 128 key groups: 1,200/s at 400 per busy second → ⌈4.29⌉ = 5 (p=5's busiest share 26/128 fits).
  const uniform = new Float64Array(128).fill(10);
  const even = vertex(1, { inRate: 1000, outRate: 1000, trueRate: 400, busy: [1], keyGroupLoad: uniform });
  const [, a] = ds2([source, even], o);
  assert.equal(a!.proposed, 5, a!.reason);
  // Key group 3 carries 90 %: its subtask alone needs 1,080/s > 400. No parallelism helps; p=1 is as good as any.
  const skewed = new Float64Array(128).fill(1);
  skewed[3] = (127 * 0.9) / 0.1;
  const hot = vertex(1, { inRate: 1000, outRate: 1000, trueRate: 400, busy: [1], keyGroupLoad: skewed });
  const [, b] = ds2([source, hot], o);
  assert.equal(b!.proposed, 1, b!.reason);
  assert.match(b!.reason, /key group 3 carries 90 %.*hot key/);
});

test('DS2 sizes by what the inputs emit, not by what reached the vertex while queues fill', () => {
  // The source emits 1,000/s; only 400/s reached the slow vertex (the rest is queued in front of it).
  const source = vertex(0, { source: true, inRate: 1000, outRate: 1000 });
  const slow = vertex(1, { inRate: 400, outRate: 400, trueRate: 400, busy: [1] });
  const [, s] = ds2([source, slow], o);
  assert.equal(s!.targetRate, 1000);
  assert.equal(s!.proposed, 4, s!.reason);
  // A sink that runs only at parallelism 1 is not proposed more.
  const sink = vertex(1, { inRate: 400, trueRate: 400, busy: [1], maxParallelism: 1 });
  const [, k] = ds2([source, sink], o);
  assert.equal(k!.proposed, 1);
  assert.match(k!.reason, /at most p=1/);
});

test('busiestShare follows the key-group ranges of each parallelism', () => {
  const load = new Float64Array(8);
  load[0] = 6;
  load[7] = 2;
  assert.equal(busiestShare(load, 1), 1);
  assert.equal(busiestShare(load, 2), 0.75);
  assert.equal(busiestShare(load, 8), 0.75);
  assert.equal(busiestShare(undefined, 4), 0.25);
});

test('vertices joined by a forward edge get the same parallelism', () => {
  const source = vertex(0, { source: true, inRate: 1000, outRate: 1000 });
  const a = vertex(1, { inRate: 1000, outRate: 1000, trueRate: 100_000, busy: [0.01], forwardPeers: [2] });
  const b = vertex(2, { inRate: 1000, outRate: 1000, trueRate: 500, busy: [1], forwardPeers: [1] });
  const [, da, db] = ds2([source, a, b], o);
  assert.equal(db!.proposed, 3);
  assert.equal(da!.proposed, 3, da!.reason);
});

test('the threshold policy adds one subtask to every vertex busier than 80 %', () => {
  const source = vertex(0, { source: true, inRate: 1000, outRate: 1000, busy: [0.1] });
  const busy = vertex(1, { parallelism: 2, busy: [0.85, 0.5], trueRate: 600 });
  const sink = vertex(2, { busy: [0.95], trueRate: 600, maxParallelism: 1 });
  const [s, b, k] = thresholdPolicy([source, busy, sink], o);
  assert.equal(s!.proposed, 1);
  assert.equal(b!.proposed, 3);
  assert.equal(k!.proposed, 1, 'a sink that runs only at p=1 stays there');
});

test('autoscaler options are checked', () => {
  assert.throws(() => autoscalerOptions({ targetUtilization: 1.5 }), /target utilisation/);
  assert.throws(() => autoscalerOptions({ minParallelism: 4, maxParallelism: 2 }), /exceeds the maximum/);
  assert.throws(() => autoscalerOptions({ metricsWindowMs: 10 }), /at least 1 s/);
});
