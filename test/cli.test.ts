import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

/** End-to-end runs of the `sluice` command on real files, compared with brute-force references. */

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'bin/sluice.mjs');
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Event {
  user: string;
  ts: number;
  amount: number;
}

/** Random events, out of order by less than 5 s, with a few users and amounts in cents. */
function makeEvents(n: number, seed: number): Event[] {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const out: Event[] = [];
  let clock = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    clock += Math.floor(rnd() * 3000);
    out.push({
      user: `u${Math.floor(rnd() * 9)}`,
      ts: clock - Math.floor(rnd() * 4999),
      amount: Math.round(rnd() * 10000) / 100,
    });
  }
  return out;
}

function windowReference(events: Event[]): string[] {
  const acc = new Map<string, { user: string; windowStart: number; count: number; sum: number }>();
  for (const e of events) {
    const start = e.ts - (e.ts % 60_000);
    const k = `${e.user}|${start}`;
    const a = acc.get(k) ?? { user: e.user, windowStart: start, count: 0, sum: 0 };
    a.count++;
    a.sum += e.amount;
    acc.set(k, a);
  }
  return [...acc.values()]
    .map((a) =>
      JSON.stringify({
        user: a.user,
        windowStart: a.windowStart,
        windowEnd: a.windowStart + 60_000,
        count: a.count,
        sum: a.sum,
      }),
    )
    .sort();
}

function sessionReference(events: Event[]): string[] {
  const byUser = new Map<string, number[]>();
  for (const e of events) byUser.set(e.user, [...(byUser.get(e.user) ?? []), e.ts]);
  const out: string[] = [];
  for (const [user, list] of byUser) {
    list.sort((a, b) => a - b);
    let start = list[0]!;
    let last = start;
    let count = 0;
    for (const ts of list) {
      if (count > 0 && ts > last + 30_000) {
        out.push(JSON.stringify({ user, start, end: last + 30_000, count }));
        start = ts;
        count = 0;
      }
      last = Math.max(last, ts);
      count++;
    }
    out.push(JSON.stringify({ user, start, end: last + 30_000, count }));
  }
  return out.sort();
}

const readLines = (f: string) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .sort();

const events = makeEvents(3000, 42);
const input = join(dir, 'events.jsonl');
writeFileSync(input, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);

for (const parallelism of ['1', '2', '4']) {
  for (const mode of ['streaming', 'batch']) {
    test(`window-counts equals the reference at parallelism ${parallelism} in ${mode} mode`, () => {
      const out = join(dir, `windows-${parallelism}-${mode}.jsonl`);
      const r = sluice(
        'run',
        'examples/window-counts.ts',
        '-p',
        parallelism,
        '--mode',
        mode,
        '--',
        '--input',
        input,
        '--output',
        out,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readLines(out), windowReference(events));
    });
  }
  test(`sessions equals the reference at parallelism ${parallelism}`, () => {
    const out = join(dir, `sessions-${parallelism}.jsonl`);
    const r = sluice('run', 'examples/sessions.ts', '-p', parallelism, '--', '--input', input, '--output', out);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readLines(out), sessionReference(events));
  });
}

test('wordcount counts maximal runs of Unicode letters, lowercased', () => {
  const text = 'Straße straße STRASSE\nÉlan élan — naïve, x2y; Число число\n\n数据 数据流\n';
  const file = join(dir, 'words.txt');
  writeFileSync(file, text);
  const expected = new Map<string, number>();
  for (const m of text.matchAll(/\p{L}+/gu)) {
    const w = m[0].toLowerCase();
    expected.set(w, (expected.get(w) ?? 0) + 1);
  }
  for (const p of ['1', '2']) {
    const out = join(dir, `counts-${p}.tsv`);
    const r = sluice('run', 'examples/wordcount.ts', '-p', p, '--', '--input', file, '--output', out);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readLines(out), [...expected].map(([w, n]) => `${w}\t${n}`).sort());
  }
});

test('a throwing user function fails the job naming the operator and the record', () => {
  const r = sluice('run', 'test/fixtures/throwing-job.ts');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /operator 'validate-ids' failed on record \{"id":3,"note":"boom"\}: cannot handle id 3/);
  assert.match(r.stderr, /throwing-job\.ts:\d+/, 'the stack points into the job file');
});

test('a job file that does not compile names the file and line', () => {
  const r = sluice('run', 'test/fixtures/syntax-error-job.ts');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /syntax-error-job\.ts:4/);
});

test('a file without a job definition gets a clear error', () => {
  const r = sluice('run', 'test/fixtures/not-a-job.ts');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /must 'export default defineJob/);
});

test('a missing job file is reported', () => {
  const r = sluice('run', 'test/fixtures/no-such-job.ts');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /job file not found/);
});

test('a malformed input line fails the job naming file and line', () => {
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, `${JSON.stringify(events[0])}\n{"user":"u1","ts":1,"amount":\n${JSON.stringify(events[1])}\n`);
  const r = sluice('run', 'examples/window-counts.ts', '--', '--input', bad, '--output', join(dir, 'never.jsonl'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.jsonl:2/);
});

test('a record that fails validation names file, line and field', () => {
  const bad = join(dir, 'bad-field.jsonl');
  writeFileSync(bad, `${JSON.stringify(events[0])}\n${JSON.stringify({ user: 'u1', ts: 'yesterday', amount: 1 })}\n`);
  const r = sluice('run', 'examples/window-counts.ts', '--', '--input', bad, '--output', join(dir, 'never2.jsonl'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad-field\.jsonl:2.*"ts"/);
});

test('with a dead-letter output, malformed lines are routed there and the rest is processed', () => {
  const inputFile = join(dir, 'mixed.jsonl');
  writeFileSync(inputFile, '{"n":1}\nnot json\n{"n":2}\n{"n":\n{"n":3}\n');
  const out = join(dir, 'mixed-out.jsonl');
  const dead = join(dir, 'mixed-dead.jsonl');
  const r = sluice('run', 'test/fixtures/dead-letter-job.ts', '--', inputFile, out, dead);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readLines(out), ['{"n":2}', '{"n":4}', '{"n":6}']);
  const letters = readLines(dead).map((l) => JSON.parse(l) as { line: number; file: string; reason: string });
  assert.deepEqual(letters.map((l) => l.line).sort(), [2, 4]);
  for (const l of letters) {
    assert.match(l.file, /mixed\.jsonl$/);
    assert.ok(l.reason.length > 0);
  }
});

test('blank lines and CRLF line ends in JSON Lines input are accepted', () => {
  const file = join(dir, 'blank-crlf.jsonl');
  writeFileSync(file, `\r\n${events.map((e) => JSON.stringify(e)).join('\r\n\r\n')}\r\n  \r\n`);
  const out = join(dir, 'blank-crlf-out.jsonl');
  const r = sluice('run', 'examples/window-counts.ts', '--', '--input', file, '--output', out);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readLines(out), windowReference(events));
});
