import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { FileSource, type FileSourceState, mergeFileSourceStates } from '../src/connectors/files/index.js';
import type { BadRecord, Source, SourceReader } from '../src/core/source.js';

/**
 * Large files read in byte ranges (`splitBytes`) by several readers: every line exactly once at every parallelism,
 * wherever range boundaries fall (inside a line, on a line end, inside a multi-byte character, inside "\r\n"),
 * through snapshots restored at another parallelism, with bad lines reported at their line in the whole file.
 */

const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function tempFile(name: string, content: string | Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-ranges-'));
  roots.push(dir);
  const file = join(dir, name);
  await writeFile(file, content);
  return file;
}

interface Reading<T> {
  reader: SourceReader<T>;
  records: T[];
  bad: BadRecord[];
  ended: boolean;
}

function readerOf<T>(source: Source<T>, index: number, parallelism: number): Reading<T> {
  const bad: BadRecord[] = [];
  const reader = source.createReader({ subtaskIndex: index, parallelism, reportBadRecord: (b) => bad.push(b) });
  return { reader, records: [], bad, ended: false };
}

/** Polls until the reader ends or `limit` records were emitted (then stops without closing). */
async function drive<T>(r: Reading<T>, max: number, limit = Number.POSITIVE_INFINITY): Promise<void> {
  const out = { collect: (v: T) => r.records.push(v) };
  const deadline = Date.now() + 20_000;
  while (r.records.length < limit) {
    assert.ok(Date.now() < deadline, 'reader did not end in time');
    const result = r.reader.pollNext(out, Math.min(max, limit - r.records.length));
    if (result === 'end') {
      r.ended = true;
      await r.reader.close?.();
      return;
    }
    if (result === 'wait') await r.reader.available?.();
  }
}

async function readAll<T>(source: Source<T>, parallelism: number, max: number): Promise<Reading<T>[]> {
  const readers = Array.from({ length: parallelism }, (_, i) => readerOf(source, i, parallelism));
  for (const r of readers) await r.reader.open?.();
  await Promise.all(readers.map((r) => drive(r, max)));
  return readers;
}

/** Lines as a file holds them: unique (numbered), some empty-looking, some multi-byte, some ending in "\r\n". */
const fileArb = fc
  .record({
    lines: fc.array(
      fc.record({
        text: fc.constantFrom('', 'a', 'héllo', '😀x', '漢字', 'plain ascii words', 'z'.repeat(37)),
        crlf: fc.boolean(),
      }),
      { minLength: 0, maxLength: 60 },
    ),
    finalNewline: fc.boolean(),
    bom: fc.boolean(),
  })
  .map(({ lines, finalNewline, bom }) => {
    const texts = lines.map((l, i) => `${i}:${l.text}`);
    let body = '';
    lines.forEach((l, i) => {
      body += texts[i];
      if (i < lines.length - 1 || finalNewline) body += l.crlf ? '\r\n' : '\n';
    });
    // (A file holding only a byte order mark has one empty line: no mark on an empty file.)
    return { texts, content: (bom && texts.length > 0 ? '\uFEFF' : '') + body };
  });

test('text in ranges: every line exactly once, at every parallelism and range size', async () => {
  await fc.assert(
    fc.asyncProperty(
      fileArb,
      fc.integer({ min: 1, max: 80 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 1, max: 7 }),
      async ({ texts, content }, splitBytes, parallelism, chunkBytes, max) => {
        const file = await tempFile('lines.txt', content);
        const readers = await readAll(FileSource.text(file, { splitBytes, chunkBytes }), parallelism, max);
        const all = readers.flatMap((r) => r.records);
        assert.deepEqual([...all].sort(), [...texts].sort());
        // Within each reader, lines keep file order (ranges are taken in order).
        for (const r of readers) {
          const numbers = r.records.map((t) => Number(t.slice(0, t.indexOf(':'))));
          assert.deepEqual(
            numbers,
            [...numbers].sort((a, b) => a - b),
          );
        }
        for (const r of readers) assert.deepEqual(r.bad, []);
      },
    ),
    { numRuns: 150 },
  );
});

test('JSON Lines in ranges: bad lines are reported at their line in the whole file', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom('good', 'bad', 'blank'), { minLength: 1, maxLength: 50 }),
      fc.integer({ min: 1, max: 60 }),
      fc.integer({ min: 1, max: 3 }),
      async (kinds, splitBytes, parallelism) => {
        const lines = kinds.map((k, i) => (k === 'good' ? JSON.stringify({ n: i }) : k === 'bad' ? `{oops ${i}` : ''));
        const file = await tempFile('events.jsonl', `${lines.join('\n')}\n`);
        const readers = await readAll(
          FileSource.jsonLines<{ n: number }>(file, { splitBytes, chunkBytes: 16 }),
          parallelism,
          5,
        );
        const good = readers.flatMap((r) => r.records.map((v) => v.n)).sort((a, b) => a - b);
        assert.deepEqual(
          good,
          kinds.flatMap((k, i) => (k === 'good' ? [i] : [])),
        );
        const bad = readers
          .flatMap((r) => r.bad.map((b) => [b.line, b.raw] as const))
          .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
        assert.deepEqual(
          bad,
          kinds.flatMap((k, i) => (k === 'bad' ? [[i + 1, `{oops ${i}`] as const] : [])),
        );
      },
    ),
    { numRuns: 100 },
  );
});

test('ranges through snapshots restored at another parallelism: every line exactly once', async () => {
  await fc.assert(
    fc.asyncProperty(
      fileArb,
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 4, maxLength: 4 }),
      async ({ texts, content }, splitBytes, before, afterwards, stops) => {
        const file = await tempFile('lines.txt', content);
        const source = FileSource.text(file, { splitBytes, chunkBytes: 8 });
        const first = Array.from({ length: before }, (_, i) => readerOf(source, i, before));
        for (const r of first) await r.reader.open?.();
        for (let i = 0; i < before; i++) await drive(first[i]!, 3, stops[i]!);
        // Snapshots as a checkpoint takes them: everything emitted so far is covered.
        const states = first.map((r) => (r.ended ? undefined : r.reader.snapshotState?.())) as FileSourceState[];
        const ended = first.filter((r) => r.ended).map((r) => r.reader.snapshotState?.() as FileSourceState);
        const merged = mergeFileSourceStates([...states.filter((s) => s !== undefined), ...ended]);
        for (const r of first) if (!r.ended) await r.reader.close?.();
        const second = Array.from({ length: afterwards }, (_, i) => readerOf(source, i, afterwards));
        for (const r of second) {
          r.reader.restoreState?.([merged]);
          await r.reader.open?.();
        }
        await Promise.all(second.map((r) => drive(r, 4)));
        const all = [...first, ...second].flatMap((r) => r.records);
        assert.deepEqual([...all].sort(), [...texts].sort());
      },
    ),
    { numRuns: 150 },
  );
});

test('a checkpoint from before ranges (a whole file in progress) resumes that file whole', async () => {
  const lines = Array.from({ length: 40 }, (_, i) => `line-${i}`);
  const content = `${lines.join('\n')}\n`;
  const file = await tempFile('old.txt', content);
  const offset = Buffer.byteLength(`${lines.slice(0, 10).join('\n')}\n`);
  const state: FileSourceState = { completed: [], inProgress: [{ file, offset, line: 11 }] };
  const source = FileSource.text(file, { splitBytes: 16 });
  const readers = Array.from({ length: 3 }, (_, i) => readerOf(source, i, 3));
  for (const r of readers) {
    r.reader.restoreState?.([state]);
    await r.reader.open?.();
  }
  await Promise.all(readers.map((r) => drive(r, 5)));
  assert.deepEqual(readers[0]!.records, lines.slice(10));
  assert.deepEqual(readers[1]!.records, []);
});

test('ranges that do not match the checkpoint fail with a clear error; CSV is never read in ranges', async () => {
  const file = await tempFile('x.txt', `${'abcdefghij\n'.repeat(20)}`);
  const state: FileSourceState = { completed: [], inProgress: [{ file, offset: 33, line: 1, start: 32, end: 64 }] };
  const reader = readerOf(FileSource.text(file, { splitBytes: 50 }), 0, 1);
  reader.reader.restoreState?.([state]);
  await reader.reader.open?.();
  assert.throws(
    () => reader.reader.pollNext({ collect: () => {} }, 10),
    /read '.*x\.txt' in ranges that do not match this run's \(bytes 32 to 64\)/,
  );

  const rows = Array.from({ length: 30 }, (_, i) => `${i},"multi\nline ${i}"`);
  const csv = await tempFile('t.csv', `id,note\n${rows.join('\n')}\n`);
  const readers = await readAll(FileSource.csv<{ id: string; note: string }>(csv, { splitBytes: 10 }), 3, 7);
  assert.equal(readers[0]!.records.length, 30);
  assert.equal(readers[0]!.records[29]!.note, 'multi\nline 29');
  assert.deepEqual(readers[1]!.records, []);
});

test('the splitBytes option is checked', () => {
  assert.throws(() => FileSource.text('x', { splitBytes: 0 }), /splitBytes must be a positive integer, got 0/);
});
