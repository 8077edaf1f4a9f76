import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

/**
 * The examples for joins, connect with keyed state, timers and side outputs, run with the `sluice` command on the
 * sample data they document (examples/data/), compared with brute-force computations of what they must output.
 */

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'bin/sluice.mjs');
const dir = mkdtempSync(join(tmpdir(), 'sluice-examples-'));
const data = (name: string) => join(root, 'examples/data', name);

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function readJsonLines<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}
const sortedLines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .sort();
const sortedJson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort();

interface AdEvent {
  user: string;
  ad: string;
  ts: number;
}
interface Event {
  user: string;
  ts: number;
  amount: number;
}

function attributionReference(impressions: AdEvent[], clicks: AdEvent[]): string[] {
  const rows: unknown[] = [];
  for (const c of clicks) {
    for (const i of impressions) {
      if (i.user === c.user && i.ad === c.ad && i.ts <= c.ts && c.ts <= i.ts + 60_000) {
        rows.push({ user: c.user, ad: c.ad, impressionTs: i.ts, clickTs: c.ts });
      }
    }
  }
  return sortedJson(rows);
}

function orderStatusReference(
  orders: { id: string; ts: number; amount: number }[],
  payments: { order: string; ts: number }[],
): string[] {
  const paidAt = new Map<string, number[]>();
  for (const p of payments) paidAt.set(p.order, [...(paidAt.get(p.order) ?? []), p.ts]);
  return sortedJson(
    orders.map((o) => {
      const ts = (paidAt.get(o.id) ?? []).find((t) => t >= o.ts && t <= o.ts + 10 * 60_000);
      return ts === undefined
        ? { order: o.id, status: 'unpaid', amount: o.amount }
        : { order: o.id, status: 'paid', amount: o.amount, delayMs: ts - o.ts };
    }),
  );
}

/** Per user, maximal runs of events less than or exactly 30 s apart (in time order). */
function activityReference(events: Event[]): string[] {
  const byUser = new Map<string, number[]>();
  for (const e of events) byUser.set(e.user, [...(byUser.get(e.user) ?? []), e.ts]);
  const rows: unknown[] = [];
  for (const [user, times] of byUser) {
    times.sort((a, b) => a - b);
    let start = times[0]!;
    let last = start;
    let count = 0;
    for (const ts of times) {
      if (count > 0 && ts > last + 30_000) {
        rows.push({ user, start, end: last + 30_000, count });
        start = ts;
        count = 0;
      }
      last = ts;
      count++;
    }
    rows.push({ user, start, end: last + 30_000, count });
  }
  return sortedJson(rows);
}

/**
 * Late events and window rows when the watermark follows every event (`--batch-size 1`): an event is late when its
 * window's last millisecond is at or behind the watermark, the greatest event time before it − delay − 1.
 */
function lateReference(events: Event[], delayMs: number) {
  let watermark = Number.NEGATIVE_INFINITY;
  const late: Event[] = [];
  const windows = new Map<string, { user: string; windowStart: number; count: number; sum: number }>();
  for (const e of events) {
    const windowStart = e.ts - (e.ts % 60_000);
    if (windowStart + 60_000 - 1 <= watermark) late.push(e);
    else {
      const k = `${e.user}|${windowStart}`;
      const w = windows.get(k) ?? { user: e.user, windowStart, count: 0, sum: 0 };
      w.count++;
      w.sum += e.amount;
      windows.set(k, w);
    }
    watermark = Math.max(watermark, e.ts - delayMs - 1);
  }
  return { late: sortedJson(late), windows: [...windows.values()] };
}

/** Window sums are compared with a tolerance: the job adds amounts in arrival order per window, as the reference. */
function assertWindowsEqual(
  actual: { user: string; windowStart: number; count: number; sum: number }[],
  expected: typeof actual,
) {
  const key = (w: { user: string; windowStart: number }) => `${w.user}|${w.windowStart}`;
  const byKey = new Map(expected.map((w) => [key(w), w]));
  assert.equal(actual.length, expected.length, 'number of window rows');
  for (const w of actual) {
    const e = byKey.get(key(w));
    assert.ok(e !== undefined, `unexpected window ${key(w)}`);
    assert.equal(w.count, e.count, `count of ${key(w)}`);
    assert.ok(Math.abs(w.sum - e.sum) < 1e-6, `sum of ${key(w)}: ${w.sum} vs ${e.sum}`);
  }
}

const events = readJsonLines<Event>(data('events.jsonl'));

for (const p of ['1', '2']) {
  test(`click-attribution (interval join) equals the brute-force pairs at parallelism ${p}`, () => {
    const out = join(dir, `attributed-${p}.jsonl`);
    const r = sluice(
      'run',
      'examples/click-attribution.ts',
      '-p',
      p,
      '--',
      '--impressions',
      data('impressions.jsonl'),
      '--clicks',
      data('clicks.jsonl'),
      '--output',
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    const expected = attributionReference(
      readJsonLines(data('impressions.jsonl')),
      readJsonLines(data('clicks.jsonl')),
    );
    assert.ok(expected.length > 500, 'the sample data has matches');
    assert.deepEqual(sortedLines(out), expected);
  });

  test(`orders-payments (connected keyed streams, keyed state, timers) equals the reference at parallelism ${p}`, () => {
    const out = join(dir, `order-status-${p}.jsonl`);
    const r = sluice(
      'run',
      'examples/orders-payments.ts',
      '-p',
      p,
      '--',
      '--orders',
      data('orders.jsonl'),
      '--payments',
      data('payments.jsonl'),
      '--output',
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    const expected = orderStatusReference(readJsonLines(data('orders.jsonl')), readJsonLines(data('payments.jsonl')));
    assert.ok(expected.some((l) => l.includes('"unpaid"')) && expected.some((l) => l.includes('"paid"')));
    assert.deepEqual(sortedLines(out), expected);
  });

  test(`activity-periods (event-time timers) equals the brute-force periods at parallelism ${p}`, () => {
    const out = join(dir, `periods-${p}.jsonl`);
    const r = sluice(
      'run',
      'examples/activity-periods.ts',
      '-p',
      p,
      '--',
      '--input',
      data('events.jsonl'),
      '--output',
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(sortedLines(out), activityReference(events));
  });

  test(`late-events sends exactly the late events to the side output at parallelism ${p}`, () => {
    const out = join(dir, `late-windows-${p}.jsonl`);
    const late = join(dir, `late-${p}.jsonl`);
    const r = sluice(
      'run',
      'examples/late-events.ts',
      '-p',
      p,
      '--batch-size',
      '1',
      '--',
      '--input',
      data('events.jsonl'),
      '--output',
      out,
      '--late',
      late,
    );
    assert.equal(r.code, 0, r.stderr);
    const expected = lateReference(events, 1_000);
    assert.ok(expected.late.length > 50, 'the sample data has late events');
    assert.deepEqual(sortedLines(late), expected.late);
    assertWindowsEqual(readJsonLines(out), expected.windows);
  });
}

test('late-events at the default batch size: every event is counted in its window or written as late', () => {
  const out = join(dir, 'late-windows-batched.jsonl');
  const late = join(dir, 'late-batched.jsonl');
  const r = sluice(
    'run',
    'examples/late-events.ts',
    '--',
    '--input',
    data('events.jsonl'),
    '--output',
    out,
    '--late',
    late,
  );
  assert.equal(r.code, 0, r.stderr);
  const counted = new Map<string, number>();
  for (const w of readJsonLines<{ user: string; windowStart: number; count: number }>(out)) {
    counted.set(`${w.user}|${w.windowStart}`, w.count);
  }
  const lateEvents = readJsonLines<Event>(late);
  for (const e of lateEvents) {
    const k = `${e.user}|${e.ts - (e.ts % 60_000)}`;
    counted.set(k, (counted.get(k) ?? 0) + 1);
  }
  const all = new Map<string, number>();
  for (const e of events) {
    const k = `${e.user}|${e.ts - (e.ts % 60_000)}`;
    all.set(k, (all.get(k) ?? 0) + 1);
  }
  assert.deepEqual(new Map([...counted].sort()), new Map([...all].sort()));
  // A late event's window ended at least 1 s + 1 ms before some event read earlier.
  const position = new Map(events.map((e, i) => [JSON.stringify(e), i]));
  let maxBefore = Number.NEGATIVE_INFINITY;
  const maxTsBefore = events.map((e) => {
    const m = maxBefore;
    maxBefore = Math.max(maxBefore, e.ts);
    return m;
  });
  for (const e of lateEvents) {
    const i = position.get(JSON.stringify(e))!;
    assert.ok(e.ts - (e.ts % 60_000) + 60_000 - 1 <= maxTsBefore[i]! - 1_001, `${JSON.stringify(e)} was not late`);
  }
});
