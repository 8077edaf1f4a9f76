import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SegmentKind, WakeKind } from '../src/runtime/analysis/activity-trace.js';
import { bottleneckReport, type VertexInfo } from '../src/runtime/analysis/bottleneck-report.js';
import { criticalMs, criticalPath, type Timeline } from '../src/runtime/analysis/critical-path.js';

/** The critical-path analysis on hand-built thread timelines with known answers. */

type Seg =
  | { p: [t0: number, t1: number, vertex: number, subtask: number, records?: number] }
  | { w: [t0: number, t1: number, cause: WakeKind, vertexOrThread: number, subtask: number, since: number] };

function timeline(segs: Seg[]): Timeline {
  const n = segs.length;
  const tl = {
    count: n,
    kind: new Uint8Array(n),
    t0: new Float64Array(n),
    t1: new Float64Array(n),
    vertex: new Int32Array(n),
    subtask: new Int32Array(n),
    records: new Float64Array(n),
    cause: new Uint8Array(n),
  };
  segs.forEach((s, i) => {
    if ('p' in s) {
      const [t0, t1, v, k, r = 0] = s.p;
      tl.kind[i] = SegmentKind.Processing;
      tl.t0[i] = t0;
      tl.t1[i] = t1;
      tl.vertex[i] = v;
      tl.subtask[i] = k;
      tl.records[i] = r;
    } else {
      const [t0, t1, cause, v, k, since] = s.w;
      tl.kind[i] = SegmentKind.Waiting;
      tl.t0[i] = t0;
      tl.t1[i] = t1;
      tl.cause[i] = cause;
      tl.vertex[i] = v;
      tl.subtask[i] = k;
      tl.records[i] = since;
    }
  });
  return tl;
}

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} ≠ ${b}`);

test('a pipeline bounded by the downstream operator: the source waits for credits, the path runs through the map', () => {
  // Thread 0: the source steps 1 ms, then waits for credit that thread 1 posts 0.5 ms before the next step.
  const source: Seg[] = [];
  const map: Seg[] = [];
  for (let k = 0; k < 10; k++) {
    source.push({ p: [10 * k, 10 * k + 1, 0, 0, 100] });
    source.push({ w: [10 * k + 1, 10 * k + 10, WakeKind.Peer, 1, -1, 10 * k + 9.5] });
    map.push({ p: [10 * k, 10 * k + 10, 1, 0, 100] });
  }
  const path = criticalPath([timeline(source), timeline(map)], 0, 100, [1, 1]);
  assert.equal(path.walks, 2);
  // Walk from thread 1: all map (100). From thread 0: 0.5 ms of communication, then thread 1's map (99.5).
  near(path.vertices[1]!.processingMs, (100 + 99.5) / 2);
  near(path.vertices[0]!.processingMs, 0);
  near(path.communicationMs, 0.25);
  near(path.vertices[0]!.records, 1000);
  near(path.vertices[0]!.stepMs, 10);
  const vertices: VertexInfo[] = [
    { id: 0, name: 'src', parallelism: 1, isSource: true },
    { id: 1, name: 'map', parallelism: 1, isSource: false },
  ];
  const report = bottleneckReport(path, vertices, new Map(), [], false, false);
  assert.equal(report.bottleneck?.name, 'map');
  assert.match(report.bottleneck!.reason, /processing/);
  near(report.vertices[0]!.trueRate!, 100_000);
});

test('a wait on asynchronous work is attributed from when the work began, skipping what overlapped it', () => {
  const tl = timeline([{ p: [0, 10, 0, 0] }, { w: [10, 60, WakeKind.Async, 1, 0, 5] }, { p: [60, 70, 1, 0] }]);
  const path = criticalPath([tl], 0, 70, [1, 1]);
  near(path.vertices[1]!.processingMs, 10);
  near(path.vertices[1]!.asyncMs, 55);
  near(path.vertices[0]!.processingMs, 5);
  const report = bottleneckReport(
    path,
    [
      { id: 0, name: 'a', parallelism: 1, isSource: true },
      { id: 1, name: 'lookup', parallelism: 1, isSource: false },
    ],
    new Map(),
    [],
    true,
    false,
  );
  assert.equal(report.bottleneck?.name, 'lookup');
  assert.match(report.bottleneck!.reason, /asynchronous calls/);
});

test('a rate-limited source: waiting for input leads and the job keeps up', () => {
  const segs: Seg[] = [];
  for (let k = 0; k < 5; k++) {
    segs.push({ p: [20 * k, 20 * k + 1, 0, 0, 10] });
    segs.push({ p: [20 * k + 1, 20 * k + 3, 1, 0, 10] });
    segs.push({ w: [20 * k + 3, 20 * k + 20, WakeKind.Source, 0, 0, 20 * k + 1] });
  }
  const path = criticalPath([timeline(segs)], 0, 100, [1, 1]);
  near(path.vertices[0]!.inputMs, 5 * 19);
  near(path.vertices[0]!.processingMs, 5);
  near(path.vertices[1]!.processingMs, 0); // overlapped the source's wait
  const report = bottleneckReport(
    path,
    [
      { id: 0, name: 'gen', parallelism: 1, isSource: true },
      { id: 1, name: 'sink', parallelism: 1, isSource: false },
    ],
    new Map(),
    [],
    false,
    false,
  );
  assert.equal(report.bottleneck?.name, 'gen');
  assert.match(report.bottleneck!.reason, /keeps up with its input/);
});

test('cross-thread jumps follow messages back through several threads', () => {
  // Thread 2 waits for thread 1 (posted at 50), which waited for thread 0 (posted at 20).
  const t0 = timeline([{ p: [0, 20, 0, 0] }, { w: [20, 100, WakeKind.Unknown, -1, -1, Number.NaN] }]);
  const t1 = timeline([
    { w: [0, 22, WakeKind.Peer, 0, -1, 20] },
    { p: [22, 50, 1, 0] },
    { w: [50, 100, WakeKind.Unknown, -1, -1, Number.NaN] },
  ]);
  const t2 = timeline([{ w: [0, 52, WakeKind.Peer, 1, -1, 50] }, { p: [52, 100, 2, 0] }]);
  const path = criticalPath([t0, t1, t2], 0, 100, [1, 1, 1]);
  // Walk from thread 2: 48 (v2) + 2 comm + 28 (v1) + 2 comm + 20 (v0). Thread 1's walk: an unknown wait, then
  // 28 (v1) + 2 comm + 20 (v0); thread 0's: an unknown wait, then 20 (v0).
  const w = 1 / 3;
  near(path.vertices[2]!.processingMs, 48 * w);
  near(path.vertices[1]!.processingMs, 2 * 28 * w);
  near(path.vertices[0]!.processingMs, 3 * 20 * w);
  near(path.communicationMs, 3 * 2 * w);
  const total =
    path.vertices.reduce((n, v) => n + criticalMs(v), 0) + path.communicationMs + path.overheadMs + path.unknownMs;
  near(total, 100);
});

test('cycle guard: messages stamped at or after the wait they end (clock skew) are not followed', () => {
  // Both threads claim to have been woken by the other at the same instant: following either would loop.
  const a = timeline([{ p: [0, 10, 0, 0] }, { w: [10, 50, WakeKind.Peer, 1, -1, 50] }]);
  const b = timeline([{ p: [0, 10, 1, 0] }, { w: [10, 50, WakeKind.Peer, 0, -1, 60] }]);
  const path = criticalPath([a, b], 0, 50, [1, 1]);
  near(path.unknownMs, 40);
  near(path.vertices[0]!.processingMs, 5);
  near(path.vertices[1]!.processingMs, 5);
});

test('skew: one subtask doing most of the work is named as a hot key', () => {
  const t0 = timeline([{ p: [0, 90, 1, 0] }, { p: [90, 100, 0, 0] }]);
  const t1 = timeline([{ p: [0, 10, 1, 1] }, { w: [10, 100, WakeKind.Peer, 0, -1, 95] }]);
  const path = criticalPath([t0, t1], 0, 100, [1, 2]);
  const report = bottleneckReport(
    path,
    [
      { id: 0, name: 'gen', parallelism: 1, isSource: true },
      { id: 1, name: 'hot-map', parallelism: 2, isSource: false },
    ],
    new Map(),
    [],
    false,
    false,
  );
  assert.equal(report.bottleneck?.name, 'hot-map');
  assert.match(report.bottleneck!.reason, /hot key: subtask 0 carries 90%/);
});

test('a chain: the reason names the operator taking most of its step time', () => {
  const path = criticalPath([timeline([{ p: [0, 100, 0, 0, 10] }])], 0, 100, [1]);
  const report = bottleneckReport(
    path,
    [{ id: 0, name: 'gen -> parse -> enrich', parallelism: 1, isSource: true, operators: ['gen', 'parse', 'enrich'] }],
    new Map(),
    [],
    false,
    false,
    0,
    new Map([[0, [5, 15, 80]]]),
  );
  assert.deepEqual(
    report.vertices[0]!.operators?.map((o) => [o.name, Math.round(o.sharePct)]),
    [
      ['gen', 5],
      ['parse', 15],
      ['enrich', 80],
    ],
  );
  assert.match(report.bottleneck!.reason, /mostly in enrich \(80% of its step time\)/);
});
