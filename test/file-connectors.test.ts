import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileSink, FileSource, type FileSourceState, mergeFileSourceStates } from '../src/connectors/files/index.js';
import { InputError, PlanError } from '../src/core/errors.js';
import type { BadRecord, Source, SourceReader } from '../src/core/source.js';

const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-files-'));
  roots.push(dir);
  return dir;
}

interface ReadResult<T> {
  records: T[];
  bad: BadRecord[];
  reader: SourceReader<T>;
}

interface ReadOptions {
  index?: number;
  parallelism?: number;
  /** Records per poll. */
  max?: number;
  state?: unknown;
  /** Restore before open() instead of after it; both orders must work. */
  restoreBeforeOpen?: boolean;
  /** Stop (without closing) once this many records were read. */
  stopAfter?: number;
}

/** Drives one reader through the contract: open, poll until 'end' (awaiting available() on 'wait'), close. */
async function readAll<T>(source: Source<T>, options: ReadOptions = {}): Promise<ReadResult<T>> {
  const { index = 0, parallelism = 1, max = 1000, state, stopAfter = Number.POSITIVE_INFINITY } = options;
  const restoreBeforeOpen = options.restoreBeforeOpen ?? false;
  const bad: BadRecord[] = [];
  const records: T[] = [];
  const reader = source.createReader({ subtaskIndex: index, parallelism, reportBadRecord: (b) => bad.push(b) });
  if (state !== undefined && restoreBeforeOpen) reader.restoreState?.([state]);
  await reader.open?.();
  if (state !== undefined && !restoreBeforeOpen) reader.restoreState?.([state]);
  const out = { collect: (value: T) => records.push(value) };
  const deadline = Date.now() + 10_000;
  for (;;) {
    assert.ok(Date.now() < deadline, 'reader did not end in time');
    const result = reader.pollNext(out, Math.min(max, stopAfter - records.length));
    if (records.length >= stopAfter) return { records, bad, reader };
    if (result === 'end') break;
    if (result === 'wait') await reader.available?.();
  }
  await reader.close?.();
  return { records, bad, reader };
}

/** Polls an unbounded reader until `count` records arrived. */
async function readUntil<T>(reader: SourceReader<T>, records: T[], count: number): Promise<void> {
  const out = { collect: (value: T) => records.push(value) };
  const deadline = Date.now() + 10_000;
  while (records.length < count) {
    assert.ok(Date.now() < deadline, `only ${records.length} of ${count} records arrived`);
    const result = reader.pollNext(out, count - records.length);
    assert.notEqual(result, 'end', 'a watching reader must not end');
    if (result === 'wait') await reader.available?.();
  }
}

test('text: CRLF, empty lines, missing final newline, BOM and empty file', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'a.txt'), '\uFEFFfirst\r\nsecond\n\nthird\r\nlast');
  await writeFile(join(dir, 'b.txt'), '');
  await writeFile(join(dir, 'c.txt'), 'only\n');
  const { records, bad } = await readAll(FileSource.text(dir));
  assert.deepEqual(records, ['first', 'second', '', 'third', 'last', 'only']);
  assert.deepEqual(bad, []);
});

test('text: UTF-8 split across tiny chunks decodes exactly, for every chunk size and poll size', async () => {
  const dir = await tempDir();
  const lines = ['héllo wörld', '😀 emoji 🎉', '漢字とかな', '', 'plain ascii', 'ends in é'];
  const file = join(dir, 'utf8.txt');
  await writeFile(file, `\uFEFF${lines.join('\r\n')}`);
  for (const chunkBytes of [1, 2, 3, 5, 7, 64]) {
    for (const max of [1, 3, 100]) {
      const { records, bad } = await readAll(FileSource.text(file, { chunkBytes }), { max });
      assert.deepEqual(records, lines, `chunkBytes ${chunkBytes}, max ${max}`);
      assert.deepEqual(bad, []);
    }
  }
});

test('text: custom parse, and a throwing parse makes a bad record', async () => {
  const dir = await tempDir();
  const file = join(dir, 'n.txt');
  await writeFile(file, '1\n2\nx\n4\n');
  const source = FileSource.text(file, {
    parse: (line) => {
      const n = Number(line);
      if (Number.isNaN(n)) throw new Error(`not a number: ${line}`);
      return n;
    },
  });
  const { records, bad } = await readAll(source);
  assert.deepEqual(records, [1, 2, 4]);
  assert.equal(bad.length, 1);
  assert.equal(bad[0]!.file, file);
  assert.equal(bad[0]!.line, 3);
  assert.equal(bad[0]!.reason, 'parse failed: not a number: x');
  assert.equal(bad[0]!.raw, 'x');
});

test('directory split across 3 readers reads every line exactly once', async () => {
  const dir = await tempDir();
  const expected: string[] = [];
  for (let f = 0; f < 11; f++) {
    const lines = Array.from({ length: f + 1 }, (_, i) => `file${f}-line${i}`);
    expected.push(...lines);
    await writeFile(join(dir, `part-${String(f).padStart(3, '0')}.txt`), `${lines.join('\n')}\n`);
  }
  // Ignored: hidden and underscore names, subdirectories.
  await writeFile(join(dir, '.hidden'), 'nope\n');
  await writeFile(join(dir, '_SUCCESS'), 'nope\n');
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'sub', 'inner.txt'), 'nope\n');

  const parts = await Promise.all(
    [0, 1, 2].map((index) => readAll(FileSource.text(dir, { chunkBytes: 8 }), { index, parallelism: 3 })),
  );
  for (const part of parts) assert.ok(part.records.length > 0, 'every reader gets files');
  const all = parts.flatMap((p) => p.records);
  assert.deepEqual([...all].sort(), [...expected].sort());
  // Whole files go to one reader: each reader's share is a set of complete files in name order.
  const byFile = (records: string[]) => new Set(records.map((r) => r.split('-')[0]));
  const owners = parts.map((p) => byFile(p.records));
  for (let i = 0; i < owners.length; i++) {
    for (let j = i + 1; j < owners.length; j++) for (const f of owners[i]!) assert.ok(!owners[j]!.has(f));
  }
  // A single reader reads the files in name order.
  const single = await readAll(FileSource.text(dir));
  assert.deepEqual(single.records, expected);
});

test('a single file is read by reader 0 only', async () => {
  const dir = await tempDir();
  const file = join(dir, 'one.txt');
  await writeFile(file, 'a\nb\n');
  const parts = await Promise.all([0, 1].map((index) => readAll(FileSource.text(file), { index, parallelism: 2 })));
  assert.deepEqual(
    parts.map((p) => p.records),
    [['a', 'b'], []],
  );
});

test('jsonl: a bad line is reported with its file and line, the other lines are kept', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'a.jsonl'), '{"id":1}\n{"id":2}\n');
  const second = join(dir, 'b.jsonl');
  await writeFile(second, '{"id":3}\r\n\r\n{"id": 4, oops}\r\n   \n{"id":5}');
  const { records, bad } = await readAll(FileSource.jsonLines<{ id: number }>(dir, { chunkBytes: 4 }));
  assert.deepEqual(
    records.map((r) => r.id),
    [1, 2, 3, 5],
  );
  assert.equal(bad.length, 1);
  const report = bad[0]!;
  assert.equal(report.file, second);
  assert.equal(report.line, 3);
  assert.equal(report.source, `file:${dir}`);
  assert.match(report.reason, /^invalid JSON: /);
  assert.equal(report.raw, '{"id": 4, oops}');
});

test('jsonl: a reportBadRecord that throws stops the reader (the fail-the-job policy)', async () => {
  const dir = await tempDir();
  const file = join(dir, 'x.jsonl');
  await writeFile(file, '1\nnot json\n3\n');
  const source = FileSource.jsonLines(file);
  const reader = source.createReader({
    subtaskIndex: 0,
    parallelism: 1,
    reportBadRecord: (b) => {
      throw new InputError(`${b.file}:${b.line}: ${b.reason}`, b.file, b.line);
    },
  });
  await reader.open?.();
  const records: unknown[] = [];
  await assert.rejects(
    async () => {
      for (;;) {
        const r = reader.pollNext({ collect: (v) => records.push(v) }, 10);
        if (r === 'end') break;
        if (r === 'wait') await reader.available?.();
      }
    },
    (e: unknown) => e instanceof InputError && e.file === file && e.line === 2,
  );
  assert.deepEqual(records, [1]);
  await reader.close?.();
});

test('csv: header, quoted fields with commas, quotes and line breaks, CRLF, wrong field count', async () => {
  const dir = await tempDir();
  const file = join(dir, 'people.csv');
  const text = [
    '\uFEFFname,quote,city',
    'alice,"hello, world",Paris',
    'bob,"she said ""hi""",Oslo',
    '',
    'carol,"two',
    'lines",Rome',
    'dave,too,many,fields',
    'erin,,Lima',
    'frank,"bad"quote,x',
    'gina,last,Kyiv',
  ].join('\r\n');
  await writeFile(file, text);
  for (const chunkBytes of [3, 1024]) {
    const { records, bad } = await readAll(FileSource.csv(file, { chunkBytes }));
    assert.deepEqual(records, [
      { name: 'alice', quote: 'hello, world', city: 'Paris' },
      { name: 'bob', quote: 'she said "hi"', city: 'Oslo' },
      { name: 'carol', quote: 'two\nlines', city: 'Rome' },
      { name: 'erin', quote: '', city: 'Lima' },
      { name: 'gina', quote: 'last', city: 'Kyiv' },
    ]);
    assert.deepEqual(
      bad.map((b) => [b.file, b.line, b.raw]),
      [
        [file, 7, 'dave,too,many,fields'],
        [file, 9, 'frank,"bad"quote,x'],
      ],
    );
    assert.equal(bad[0]!.reason, 'expected 3 fields, got 4');
    assert.match(bad[1]!.reason, /^invalid CSV: /);
  }
});

test('csv: explicit columns, delimiter, and an unterminated quote at end of file', async () => {
  const dir = await tempDir();
  const file = join(dir, 'data.tsv');
  await writeFile(file, '1;x\n2;"y;z"\n3;"open\nstill open');
  const { records, bad } = await readAll(FileSource.csv(file, { columns: ['n', 's'], delimiter: ';' }));
  assert.deepEqual(records, [
    { n: '1', s: 'x' },
    { n: '2', s: 'y;z' },
  ]);
  assert.equal(bad.length, 1);
  assert.equal(bad[0]!.line, 3);
  assert.match(bad[0]!.reason, /not closed/);
  assert.throws(() => FileSource.csv(file, { header: false }), PlanError);
});

test('a line over maxLineBytes is a bad record, not a crash', async () => {
  const dir = await tempDir();
  const file = join(dir, 'long.txt');
  await writeFile(file, `short\n${'x'.repeat(5000)}\nafter\n${'y'.repeat(40)}`);
  for (const chunkBytes of [7, 1 << 20]) {
    const { records, bad } = await readAll(FileSource.text(file, { maxLineBytes: 32, chunkBytes }));
    assert.deepEqual(records, ['short', 'after']);
    assert.deepEqual(
      bad.map((b) => b.line),
      [2, 4],
    );
    assert.match(bad[0]!.reason, /5000 bytes long, over the limit of 32 bytes/);
    assert.ok(bad[0]!.raw!.length <= 1025);
  }
});

test('missing input path: open() throws an InputError naming the path', async () => {
  const dir = await tempDir();
  const missing = join(dir, 'nope');
  const reader = FileSource.text(missing).createReader({ subtaskIndex: 0, parallelism: 1, reportBadRecord: () => {} });
  await assert.rejects(
    async () => reader.open?.(),
    (e: unknown) => e instanceof InputError && e.message.includes(missing) && e.file === missing,
  );
});

test('an empty directory is refused or, with allowEmpty, ends at once; watching a file and a malformed state are refused', async () => {
  const dir = await tempDir();
  const emptyReader = FileSource.text(dir).createReader({ subtaskIndex: 0, parallelism: 1, reportBadRecord: () => {} });
  await assert.rejects(
    async () => emptyReader.open?.(),
    (e: unknown) => e instanceof InputError && e.message.includes(`input directory '${dir}' has no files`),
  );
  const { records } = await readAll(FileSource.text(dir, { allowEmpty: true }));
  assert.deepEqual(records, []);
  const file = join(dir, 'f.txt');
  await writeFile(file, 'x\n');
  const context = { subtaskIndex: 0, parallelism: 1, reportBadRecord: () => {} };
  const watcher = FileSource.text(file, { watch: { intervalMs: 10 } }).createReader(context);
  await assert.rejects(async () => watcher.open?.(), InputError);
  const reader = FileSource.text(file).createReader(context);
  assert.throws(
    () => reader.restoreState?.([{ completed: [], inProgress: [{ file, offset: -1, line: 1 }] }]),
    /invalid/,
  );
  assert.throws(() => FileSource.text(file, { chunkBytes: 0 }), PlanError);
  assert.throws(() => new FileSource(file, { format: 'jsonl', columns: ['a'] }), PlanError);
});

test('watch mode picks up a file added later and never ends', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'a.txt'), 'a1\na2\n');
  const source = FileSource.text(dir, { watch: { intervalMs: 20 } });
  assert.equal(source.boundedness, 'unbounded');
  const reader = source.createReader({ subtaskIndex: 0, parallelism: 1, reportBadRecord: () => {} });
  await reader.open?.();
  const records: string[] = [];
  await readUntil(reader, records, 2);
  // Nothing new yet: the reader waits instead of ending.
  assert.equal(reader.pollNext({ collect: (v) => records.push(v) }, 10), 'wait');
  // Published atomically: written under an ignored name, then renamed into place.
  await writeFile(join(dir, '.b.txt.tmp'), 'b1\nb2\nb3\n');
  await rename(join(dir, '.b.txt.tmp'), join(dir, 'b.txt'));
  await readUntil(reader, records, 5);
  assert.deepEqual(records, ['a1', 'a2', 'b1', 'b2', 'b3']);
  // A file is read once: rewriting it does not read it again.
  await writeFile(join(dir, 'a.txt'), 'again\n');
  await writeFile(join(dir, 'c.txt'), 'c1\n');
  await readUntil(reader, records, 6);
  assert.deepEqual(records.slice(5), ['c1']);
  await reader.close?.();
});

test('watch mode after restore reads neither completed files nor the finished part of the file in progress', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'a.txt'), 'a1\na2\n');
  await writeFile(join(dir, 'b.txt'), 'b1\nb2\nb3\n');
  const source = FileSource.text(dir, { watch: { intervalMs: 10 } });
  const context = { subtaskIndex: 0, parallelism: 1, reportBadRecord: () => {} };
  const first = source.createReader(context);
  await first.open?.();
  const records: string[] = [];
  await readUntil(first, records, 3);
  const state = first.snapshotState?.() as FileSourceState;
  await first.close?.();
  assert.deepEqual(records, ['a1', 'a2', 'b1']);
  assert.deepEqual(state.completed, [join(dir, 'a.txt')]);
  assert.deepEqual(state.inProgress, [{ file: join(dir, 'b.txt'), offset: 3, line: 2 }]);

  const second = source.createReader(context);
  second.restoreState?.([state]);
  await second.open?.();
  // Before any poll the restored position is what a snapshot reports.
  assert.deepEqual(second.snapshotState?.(), state);
  await writeFile(join(dir, 'c.txt'), 'c1\n');
  const more: string[] = [];
  await readUntil(second, more, 3);
  assert.deepEqual(more, ['b2', 'b3', 'c1']);
  await second.close?.();
});

test('watch mode splits new files across readers by name hash', async () => {
  const dir = await tempDir();
  const source = FileSource.text(dir, { watch: { intervalMs: 10 } });
  const readers = [0, 1].map((index) =>
    source.createReader({ subtaskIndex: index, parallelism: 2, reportBadRecord: () => {} }),
  );
  for (const r of readers) await r.open?.();
  const expected: string[] = [];
  for (let f = 0; f < 8; f++) {
    await writeFile(join(dir, `f${f}.txt`), `r${f}\n`);
    expected.push(`r${f}`);
  }
  const got: string[][] = [[], []];
  const deadline = Date.now() + 10_000;
  while (got[0]!.length + got[1]!.length < expected.length) {
    assert.ok(Date.now() < deadline);
    for (let i = 0; i < 2; i++) readers[i]!.pollNext({ collect: (v) => got[i]!.push(v) }, 100);
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.deepEqual([...got[0]!, ...got[1]!].sort(), expected.sort());
  for (const r of readers) await r.close?.();
});

test('snapshot/restore resumes at the exact record, for every cut point', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'a.csv'), 'k,v\r\n1,"x\r\ny"\r\n2,b\r\n\r\n3,c\r\n');
  await writeFile(join(dir, 'b.csv'), '\uFEFFk,v\n4,d\n5,"e,f"\n6,g');
  await writeFile(join(dir, 'c.csv'), 'k,v\n');
  await writeFile(join(dir, 'd.csv'), 'k,v\n7,h\n');
  const make = () => FileSource.csv<{ k: string; v: string }>(dir, { chunkBytes: 5 });
  const whole = (await readAll(make())).records.map((r) => r.k + r.v);
  assert.deepEqual(whole, ['1x\ny', '2b', '3c', '4d', '5e,f', '6g', '7h']);
  for (let cut = 0; cut <= whole.length; cut++) {
    const first = await readAll(make(), { stopAfter: cut, max: 1 });
    // The state is plain JSON, as a checkpoint would store it.
    const state = JSON.parse(JSON.stringify(first.reader.snapshotState?.())) as FileSourceState;
    await first.reader.close?.();
    const rest = await readAll(make(), { state, restoreBeforeOpen: cut % 2 === 0 });
    assert.deepEqual(
      [...first.records, ...rest.records].map((r) => r.k + r.v),
      whole,
      `cut after ${cut}`,
    );
  }
});

test('snapshot/restore of jsonl keeps line numbers, and merged states restore at another parallelism', async () => {
  const dir = await tempDir();
  const lines = Array.from({ length: 30 }, (_, i) => (i === 17 ? 'broken' : JSON.stringify({ i })));
  for (let f = 0; f < 3; f++)
    await writeFile(join(dir, `p${f}.jsonl`), `${lines.slice(f * 10, f * 10 + 10).join('\n')}\n`);
  const make = () => FileSource.jsonLines<{ i: number }>(dir, { chunkBytes: 16 });
  // Two readers each stop part way, then their merged state is restored into one reader.
  const halves = await Promise.all(
    [0, 1].map((index) => readAll(make(), { index, parallelism: 2, stopAfter: 6, max: 1 })),
  );
  const merged = mergeFileSourceStates(halves.map((h) => h.reader.snapshotState?.() as FileSourceState));
  for (const h of halves) await h.reader.close?.();
  const rest = await readAll(make(), { state: merged });
  const seen = [...halves.flatMap((h) => h.records), ...rest.records].map((r) => r.i).sort((a, b) => a - b);
  assert.deepEqual(
    seen,
    Array.from({ length: 30 }, (_, i) => i).filter((i) => i !== 17),
  );
  // The bad line is line 8 of p1.jsonl, reported by whichever run read it, exactly once.
  const bad = [...halves.flatMap((h) => h.bad), ...rest.bad];
  assert.deepEqual(
    bad.map((b) => [b.file, b.line]),
    [[join(dir, 'p1.jsonl'), 8]],
  );
});

test('the reader does not read ahead more than two chunks', async () => {
  const dir = await tempDir();
  const file = join(dir, 'big.txt');
  await writeFile(file, `${'0123456789'.repeat(2000)}\n`.repeat(20));
  const reader = FileSource.text(file, { chunkBytes: 1024 }).createReader({
    subtaskIndex: 0,
    parallelism: 1,
    reportBadRecord: () => {},
  });
  await reader.open?.();
  await reader.available?.();
  await new Promise((r) => setTimeout(r, 50));
  const buffered = (reader as unknown as { pump: { bufferedBytes: number } }).pump.bufferedBytes;
  assert.ok(buffered <= 2 * 1024, `buffered ${buffered} bytes`);
  await reader.close?.();
});

test('sink round trip: text, text with a formatter, jsonl, csv', async () => {
  const dir = await tempDir();
  const write = async <T>(sink: FileSink<T>, batches: T[][]) => {
    const writer = sink.createWriter({ subtaskIndex: 0, parallelism: 1, executionId: 'test', exactlyOnce: false });
    await writer.open?.();
    for (const batch of batches)
      await writer.write(
        batch,
        batch.map(() => 0),
      );
    await writer.flush?.();
    await writer.close?.();
  };

  const textPath = join(dir, 'out', 'nested', 'lines.txt');
  await writeFile(join(dir, 'stale.txt'), 'x');
  await write(FileSink.text<string | number>(textPath), [['a', 'é😀'], [42], []]);
  assert.deepEqual((await readAll(FileSource.text(textPath))).records, ['a', 'é😀', '42']);

  const fmtPath = join(dir, 'fmt.txt');
  await writeFile(fmtPath, 'old content that must be truncated away\n'.repeat(10));
  await write(FileSink.text<{ n: number }>(fmtPath, { format: (v) => `n=${v.n}` }), [[{ n: 1 }, { n: 2 }]]);
  assert.equal(await readFile(fmtPath, 'utf8'), 'n=1\nn=2\n');

  const jsonPath = join(dir, 'out.jsonl');
  const values = [{ a: 1, s: 'line\nbreak' }, [1, 2], 'str', null];
  await write(FileSink.jsonLines<unknown>(jsonPath), [values]);
  assert.deepEqual((await readAll(FileSource.jsonLines(jsonPath))).records, values);

  const csvPath = join(dir, 'out.csv');
  const rows = [
    { name: 'plain', note: 'simple' },
    { name: 'comma, inside', note: 'quote " inside' },
    { name: 'multi\nline', note: '' },
  ];
  await write(FileSink.csv<Record<string, string>>(csvPath), [rows.slice(0, 1), rows.slice(1)]);
  assert.equal((await readFile(csvPath, 'utf8')).split('\n')[0], 'name,note');
  assert.deepEqual((await readAll(FileSource.csv(csvPath))).records, rows);

  const columnsPath = join(dir, 'cols.csv');
  await write(FileSink.csv<Record<string, unknown>>(columnsPath, { columns: ['b', 'a'] }), [[{ a: 1, b: 2, c: 3 }]]);
  assert.equal(await readFile(columnsPath, 'utf8'), 'b,a\n2,1\n');
  const emptyPath = join(dir, 'empty.csv');
  await write(FileSink.csv(emptyPath, { columns: ['x'] }), []);
  assert.equal(await readFile(emptyPath, 'utf8'), 'x\n');
});

test('sink: large output is complete after flush, and parallelism other than 1 is refused', async () => {
  const dir = await tempDir();
  const path = join(dir, 'big.jsonl');
  const sink = FileSink.jsonLines<{ i: number; pad: string }>(path);
  assert.equal(sink.requiredParallelism, 1);
  assert.throws(
    () => sink.createWriter({ subtaskIndex: 0, parallelism: 2, executionId: 'test', exactlyOnce: false }),
    PlanError,
  );
  const writer = sink.createWriter({ subtaskIndex: 0, parallelism: 1, executionId: 'test', exactlyOnce: false });
  await writer.open?.();
  const pad = 'p'.repeat(200);
  for (let b = 0; b < 200; b++) {
    const batch = Array.from({ length: 250 }, (_, k) => ({ i: b * 250 + k, pad }));
    await writer.write(batch, []);
  }
  await writer.flush?.();
  const lines = (await readFile(path, 'utf8')).split('\n');
  assert.equal(lines.length, 50_001);
  assert.deepEqual(JSON.parse(lines[49_999]!), { i: 49_999, pad });
  await writer.close?.();
});
