/**
 * Every Nexmark query job in bench/nexmark/ against the brute-force reference (test/nexmark/reference.ts) on
 * generated events: from a JSON Lines file at parallelism 1 (streaming) and 2 (batch), and from the parallel
 * generator at parallelism 2 (streaming). q12 runs on processing time, so only its structure is checked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NEXMARK_QUERIES } from '../bench/nexmark/queries.js';
import { type NexmarkEvent, NexmarkGenerator, runJob } from '../src/index.js';
import { canonicalRows, q12BidsPerBidder, type Row, referenceQueries } from './nexmark/reference.js';

const EVENTS = 40_000;
const SEED = 7;
/** Nominal events per second of event time: 40k events span 200 s, so every window kind fires many times. */
const EVENT_RATE = 200;
/** Every query but q12, whose processing-time windows are checked for structure only. */
const QUERIES = NEXMARK_QUERIES.filter((q) => q !== 'q12');

let dir: string;
let input: string;
let events: NexmarkEvent[];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-nexmark-'));
  input = join(dir, 'events.jsonl');
  const g = new NexmarkGenerator({ seed: SEED, firstEventRate: EVENT_RATE });
  events = Array.from({ length: EVENTS }, (_, i) => g.event(i));
  writeFileSync(input, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const jobFile = (q: string) => fileURLToPath(new URL(`../bench/nexmark/${q}.ts`, import.meta.url));
const readRows = (file: string): Row[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Row);

type Variant = { name: string; parallelism: number; mode: 'streaming' | 'batch'; fromFile: boolean };
const VARIANTS: Variant[] = [
  { name: 'file, p=1, streaming', parallelism: 1, mode: 'streaming', fromFile: true },
  { name: 'generator, p=2, streaming', parallelism: 2, mode: 'streaming', fromFile: false },
  { name: 'file, p=2, batch', parallelism: 2, mode: 'batch', fromFile: true },
];

async function runQuery(q: string, v: Variant): Promise<Row[]> {
  const output = join(dir, `${q}-${v.parallelism}-${v.mode}-${v.fromFile}.jsonl`);
  const source = v.fromFile
    ? ['--input', input]
    : ['--events', String(EVENTS), '--seed', String(SEED), '--event-rate', String(EVENT_RATE)];
  await runJob(jobFile(q), {
    args: [...source, '--output', output],
    config: { parallelism: v.parallelism, runtimeMode: v.mode },
  });
  return readRows(output);
}

for (const q of QUERIES) {
  test(`nexmark ${q} equals the brute-force reference (file p=1, generator p=2, batch p=2)`, async () => {
    const expected = canonicalRows(referenceQueries[q]!(events));
    assert.ok(expected.length > 0, `${q}: the reference has rows on this data (else the test proves little)`);
    for (const v of VARIANTS) {
      const actual = canonicalRows(await runQuery(q, v));
      if (actual.length !== expected.length || actual.some((r, i) => r !== expected[i])) {
        const missing = expected.filter((r) => !actual.includes(r)).slice(0, 3);
        const extra = actual.filter((r) => !expected.includes(r)).slice(0, 3);
        assert.fail(
          `${q} (${v.name}): ${actual.length} rows, expected ${expected.length}\n` +
            `missing e.g. ${missing.join('\n  ')}\nunexpected e.g. ${extra.join('\n  ')}`,
        );
      }
    }
  });
}

test('nexmark q12 (processing time): well-formed windows whose counts add up to every bid per bidder', async () => {
  const totals = q12BidsPerBidder(events);
  for (const v of VARIANTS.slice(0, 2)) {
    const rows = (await runQuery('q12', v)) as {
      bidder: number;
      bid_count: number;
      starttime: number;
      endtime: number;
    }[];
    const sums = new Map<number, number>();
    const seen = new Set<string>();
    for (const r of rows) {
      assert.deepEqual(Object.keys(r), ['bidder', 'bid_count', 'starttime', 'endtime']);
      assert.equal(r.endtime - r.starttime, 10_000);
      assert.equal(r.starttime % 10_000, 0);
      assert.ok(r.bid_count >= 1);
      const k = `${r.bidder}|${r.starttime}`;
      assert.ok(!seen.has(k), `one row per bidder and window (${k})`);
      seen.add(k);
      sums.set(r.bidder, (sums.get(r.bidder) ?? 0) + r.bid_count);
    }
    assert.deepEqual(sums, totals, v.name);
  }
});
