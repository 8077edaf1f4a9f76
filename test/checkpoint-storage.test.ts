import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  type CheckpointMetadata,
  CorruptCheckpointError,
  checkpointDirName,
  findLatestCheckpoint,
  listCheckpointIds,
  ONE_WRITE_BYTES,
  pruneCheckpoints,
  type ReferencedFile,
  readMetadata,
  readReferencedState,
  readStateFile,
  type StateFileRef,
  writeMetadata,
  writeStateFile,
} from '../src/runtime/checkpoint/checkpoint-storage.js';
import { chooseRestorePoint } from '../src/runtime/checkpoint/restore.js';
import {
  checkpointCommittables,
  checkpointPath,
  committedLines,
  completeCheckpointIds,
  describeExit,
  hiddenFiles,
  notCovered,
  ratedCheckpointCommand,
  ratedReference,
  SluiceProcess,
  sleep,
} from './fixtures/ckpt-support.js';

/**
 * Checkpoint storage: state files carry a SHA-256 and are verified on restore; a checkpoint exists only once its
 * metadata does; a corrupt newest checkpoint is reported in one line and the previous one is used; pruning keeps
 * the newest N. Unit tests of checkpoint-storage.ts and restore.ts, plus one run of the CLI with a corrupted
 * checkpoint.
 */

const tmp = mkdtempSync(join(tmpdir(), 'sluice-ckpt-storage-'));
let rootCounter = 0;
const newRoot = () => {
  const r = join(tmp, `root-${rootCounter++}`);
  mkdirSync(r);
  return r;
};

/** The metadata of checkpoint `id` of a test job with these files (and references to earlier ones). */
function metadataOf(id: number, files: StateFileRef[], references?: ReferencedFile[]): CheckpointMetadata {
  return {
    version: 1,
    checkpointId: id,
    kind: 'checkpoint',
    createdAt: new Date(0).toISOString(),
    job: 'test-job',
    maxParallelism: 128,
    final: false,
    files,
    ...(references === undefined ? {} : { references }),
  };
}

/** Writes a complete checkpoint `id` with two state files; returns its directory and refs. */
async function writeCheckpoint(root: string, id: number, withMetadata = true) {
  const dir = join(root, checkpointDirName(id));
  const refs: StateFileRef[] = [
    await writeStateFile(dir, 's-0-0.state', [Buffer.from(`payload of subtask 0 in checkpoint ${id}`)], ['source-1']),
    // A payload in pieces: the file holds their concatenation.
    await writeStateFile(
      dir,
      's-1-0.state',
      [Buffer.alloc(100, id), Buffer.alloc(0), Buffer.alloc(200, id)],
      ['window-3', 'sink-4'],
    ),
  ];
  const metadata = metadataOf(id, refs);
  if (withMetadata) await writeMetadata(dir, metadata);
  return { dir, refs, metadata };
}

/** Flips one bit of the byte at `offset` of a file. */
function flipByte(path: string, offset: number): void {
  const b = readFileSync(path);
  b[offset] = b[offset]! ^ 0x01;
  writeFileSync(path, b);
}

async function rejectsCorrupt(p: Promise<unknown>, pattern: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CorruptCheckpointError, `expected CorruptCheckpointError, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

test('state files round-trip: 64 hex chars of SHA-256, a line end, the payload', async () => {
  const root = newRoot();
  const { dir, refs } = await writeCheckpoint(root, 1);
  const raw = readFileSync(join(dir, 's-0-0.state'));
  assert.match(raw.subarray(0, 65).toString('latin1'), /^[0-9a-f]{64}\n$/);
  assert.equal(raw.subarray(0, 64).toString('latin1'), refs[0]!.sha256);
  assert.equal(raw.length, refs[0]!.size + 65);
  assert.equal((await readStateFile(dir, refs[0]!)).toString(), 'payload of subtask 0 in checkpoint 1');
  assert.deepEqual(await readStateFile(dir, refs[1]!), Buffer.alloc(300, 1));
  const m = await readMetadata(dir);
  assert.equal(m.checkpointId, 1);
  assert.deepEqual(m.files, refs);
  assert.ok(!existsSync(join(dir, '_metadata.tmp')), 'the temporary metadata file was renamed');
  const found = await findLatestCheckpoint(root, () => assert.fail('nothing is corrupt'));
  assert.equal(found?.dir, dir);
});

test('a state file larger than one write: many small pieces and large ones, written piece by piece', async () => {
  const root = newRoot();
  const dir = join(root, checkpointDirName(1));
  // Frame lengths, headers and large bodies, as a snapshot of large keyed state yields them; past ONE_WRITE_BYTES.
  const pieces: Buffer[] = [];
  for (let i = 0; pieces.reduce((n, p) => n + p.length, 0) <= ONE_WRITE_BYTES + (3 << 20); i++) {
    pieces.push(Buffer.alloc(4, i), Buffer.alloc(37, i + 1), Buffer.alloc(i % 3 === 0 ? 3 << 20 : 1000, i + 2));
  }
  pieces.push(Buffer.from('the last small piece'));
  const ref = await writeStateFile(dir, 's-0-0.state', pieces, ['op']);
  assert.deepEqual(await readStateFile(dir, ref), Buffer.concat(pieces));
});

test('a flipped byte in the payload is detected', async () => {
  const root = newRoot();
  const { dir, refs } = await writeCheckpoint(root, 1);
  flipByte(join(dir, 's-1-0.state'), 65 + 150);
  await rejectsCorrupt(readStateFile(dir, refs[1]!), /s-1-0\.state is truncated or corrupt/);
  // Same size: the metadata check passes, the checksum does not.
  await readMetadata(dir);
  const reported: string[] = [];
  assert.equal(await findLatestCheckpoint(root, (l) => reported.push(l)), undefined);
  assert.equal(reported.length, 1);
  assert.match(reported[0]!, /^checkpoint 1 is corrupt \(.*s-1-0\.state.*\)$/);
});

test('a flipped byte in the checksum line is detected', async () => {
  const root = newRoot();
  const { dir, refs } = await writeCheckpoint(root, 1);
  flipByte(join(dir, 's-0-0.state'), 10);
  await rejectsCorrupt(readStateFile(dir, refs[0]!), /s-0-0\.state/);
  // The line end replaced: the header is no longer 64 characters and a line end.
  const { dir: dir2, refs: refs2 } = await writeCheckpoint(newRoot(), 2);
  const path = join(dir2, 's-0-0.state');
  const b = readFileSync(path);
  b[64] = 0x20;
  writeFileSync(path, b);
  await rejectsCorrupt(readStateFile(dir2, refs2[0]!), /s-0-0\.state/);
});

test('a truncated or extended state file is detected', async () => {
  for (const [what, change] of [
    ['truncated in the payload', (p: string) => truncateSync(p, 65 + 100)],
    ['truncated in the header', (p: string) => truncateSync(p, 30)],
    ['empty', (p: string) => truncateSync(p, 0)],
    ['extended', (p: string) => writeFileSync(p, Buffer.concat([readFileSync(p), Buffer.from('x')]))],
  ] as const) {
    const root = newRoot();
    const { dir, refs } = await writeCheckpoint(root, 7);
    change(join(dir, 's-1-0.state'));
    await rejectsCorrupt(readStateFile(dir, refs[1]!), /s-1-0\.state/);
    await rejectsCorrupt(readMetadata(dir), /s-1-0\.state is missing or has the wrong size/);
    const reported: string[] = [];
    assert.equal(await findLatestCheckpoint(root, (l) => reported.push(l)), undefined, what);
    assert.equal(reported.length, 1, what);
    assert.match(reported[0]!, /^checkpoint 7 is corrupt \(state file s-1-0\.state/, what);
  }
});

test('a missing state file is detected', async () => {
  const root = newRoot();
  const { dir, refs } = await writeCheckpoint(root, 3);
  writeFileSync(join(dir, 's-0-0.state'), ''); // replaced by an empty file
  await rejectsCorrupt(readStateFile(dir, refs[0]!), /s-0-0\.state/);
  const { dir: dir2, refs: refs2 } = await writeCheckpoint(newRoot(), 3);
  const { rmSync } = await import('node:fs');
  rmSync(join(dir2, 's-1-0.state'));
  await rejectsCorrupt(readStateFile(dir2, refs2[1]!), /state file \S*s-1-0\.state is missing/);
  await rejectsCorrupt(readMetadata(dir2), /s-1-0\.state is missing/);
});

test('unreadable metadata makes a checkpoint corrupt', async () => {
  for (const [what, text] of [
    ['not JSON', '{"version": 1, "checkpointId'],
    ['unknown version', JSON.stringify({ version: 2, files: [] })],
    ['no file list', JSON.stringify({ version: 1 })],
  ] as const) {
    const root = newRoot();
    await writeCheckpoint(root, 1);
    const { dir } = await writeCheckpoint(root, 2);
    writeFileSync(join(dir, '_metadata'), text);
    await rejectsCorrupt(readMetadata(dir), /_metadata/);
    const reported: string[] = [];
    const found = await findLatestCheckpoint(root, (l) => reported.push(l));
    assert.equal(found?.metadata.checkpointId, 1, what);
    assert.equal(reported.length, 1, what);
    assert.match(reported[0]!, /^checkpoint 2 is corrupt \(_metadata/, what);
  }
});

test('a checkpoint without metadata is incomplete and ignored silently', async () => {
  const root = newRoot();
  await writeCheckpoint(root, 4);
  await writeCheckpoint(root, 5, false); // the process died before the metadata
  const { dir: six } = await writeCheckpoint(root, 6, false);
  writeFileSync(join(six, '_metadata.tmp'), '{"version":1'); // ... or while writing it, before the rename
  const reported: string[] = [];
  const found = await findLatestCheckpoint(root, (l) => reported.push(l));
  assert.equal(found?.metadata.checkpointId, 4);
  assert.equal(found?.dir, join(root, checkpointDirName(4)));
  assert.deepEqual(reported, []);
  const lines: string[] = [];
  const point = await chooseRestorePoint({ checkpointDir: root, fresh: false, fromSavepoint: undefined }, (l) =>
    lines.push(l),
  );
  assert.equal(point?.metadata.checkpointId, 4);
  assert.deepEqual(lines, [`restoring from checkpoint 4 (${join(root, checkpointDirName(4))})`]);
  // Only incomplete checkpoints: start from the beginning, silently.
  const root2 = newRoot();
  await writeCheckpoint(root2, 1, false);
  const lines2: string[] = [];
  assert.equal(
    await chooseRestorePoint({ checkpointDir: root2, fresh: false, fromSavepoint: undefined }, (l) => lines2.push(l)),
    undefined,
  );
  assert.deepEqual(lines2, []);
});

test('corrupt newest checkpoint: one warning line, and the previous one is used', async () => {
  const root = newRoot();
  await writeCheckpoint(root, 8);
  await writeCheckpoint(root, 9);
  const { dir } = await writeCheckpoint(root, 10);
  await writeCheckpoint(root, 11, false); // incomplete: skipped without a word
  flipByte(join(dir, 's-0-0.state'), 70);
  const lines: string[] = [];
  const point = await chooseRestorePoint({ checkpointDir: root, fresh: false, fromSavepoint: undefined }, (l) =>
    lines.push(l),
  );
  assert.equal(point?.metadata.checkpointId, 9);
  assert.equal(point?.dir, join(root, checkpointDirName(9)));
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0]!, /^warning: checkpoint 10 is corrupt \(state file s-0-0\.state .*\); using an older one$/);
  assert.equal(lines[1], `restoring from checkpoint 9 (${join(root, checkpointDirName(9))})`);
  // Nothing was deleted by choosing: the corrupt checkpoint stays for inspection.
  assert.deepEqual(await listCheckpointIds(root), [11, 10, 9, 8]);
});

test('every checkpoint corrupt: each reported once, and the run starts from the beginning', async () => {
  const root = newRoot();
  const a = await writeCheckpoint(root, 1);
  const b = await writeCheckpoint(root, 2);
  truncateSync(join(a.dir, 's-1-0.state'), 100);
  flipByte(join(b.dir, 's-1-0.state'), 100);
  const lines: string[] = [];
  const point = await chooseRestorePoint({ checkpointDir: root, fresh: false, fromSavepoint: undefined }, (l) =>
    lines.push(l),
  );
  assert.equal(point, undefined);
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0]!, /^warning: checkpoint 2 is corrupt \(.*\); using an older one$/);
  assert.match(lines[1]!, /^warning: checkpoint 1 is corrupt \(.*\); using an older one$/);
});

test('no checkpoint directory, an empty or missing one, and --fresh', async () => {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  assert.equal(
    await chooseRestorePoint({ checkpointDir: undefined, fresh: false, fromSavepoint: undefined }, log),
    undefined,
  );
  assert.equal(
    await chooseRestorePoint({ checkpointDir: newRoot(), fresh: false, fromSavepoint: undefined }, log),
    undefined,
  );
  assert.equal(
    await chooseRestorePoint(
      { checkpointDir: join(tmp, 'does-not-exist'), fresh: false, fromSavepoint: undefined },
      log,
    ),
    undefined,
  );
  assert.deepEqual(lines, []);
  const root = newRoot();
  await writeCheckpoint(root, 1);
  await writeCheckpoint(root, 2, false);
  mkdirSync(join(root, '_requests'));
  assert.equal(
    await chooseRestorePoint({ checkpointDir: root, fresh: true, fromSavepoint: undefined }, log),
    undefined,
  );
  assert.deepEqual(await listCheckpointIds(root), []);
  assert.ok(existsSync(join(root, '_requests')), '--fresh deletes checkpoints only');
  assert.deepEqual(lines, []);
});

test('restoring from a savepoint verifies it and reports it', async () => {
  const root = newRoot();
  const { dir } = await writeCheckpoint(root, 12);
  const lines: string[] = [];
  const point = await chooseRestorePoint({ checkpointDir: newRoot(), fresh: false, fromSavepoint: dir }, (l) =>
    lines.push(l),
  );
  assert.equal(point?.metadata.checkpointId, 12);
  assert.deepEqual(lines, [`restoring from savepoint ${dir} (checkpoint 12)`]);
  flipByte(join(dir, 's-1-0.state'), 80);
  await assert.rejects(
    chooseRestorePoint({ checkpointDir: undefined, fresh: false, fromSavepoint: dir }, () => {}),
    new RegExp(`cannot restore from savepoint ${dir}: state file s-1-0\\.state`),
  );
  await assert.rejects(
    chooseRestorePoint({ checkpointDir: undefined, fresh: false, fromSavepoint: join(tmp, 'no-savepoint') }, () => {}),
    /cannot restore from savepoint .*no-savepoint: checkpoint metadata \S*no-savepoint\/_metadata is missing/,
  );
});

test('pruning keeps the newest N complete checkpoints', async () => {
  const root = newRoot();
  for (const id of [1, 2, 4, 5, 6]) await writeCheckpoint(root, id);
  await writeCheckpoint(root, 3, false); // incomplete, older than the newest complete one: deleted
  await writeCheckpoint(root, 7, false); // in flight, newer: kept
  mkdirSync(join(root, '_requests'));
  writeFileSync(join(root, 'notes.txt'), 'not a checkpoint');
  await pruneCheckpoints(root, 6, 2);
  assert.deepEqual(await listCheckpointIds(root), [7, 6, 5]);
  assert.ok(existsSync(join(root, '_requests')) && existsSync(join(root, 'notes.txt')));
  await pruneCheckpoints(root, 6, 1);
  assert.deepEqual(await listCheckpointIds(root), [7, 6]);
  // Retaining more than there are deletes nothing complete.
  const root2 = newRoot();
  for (const id of [1, 2, 3]) await writeCheckpoint(root2, id);
  await pruneCheckpoints(root2, 3, 5);
  assert.deepEqual(await listCheckpointIds(root2), [3, 2, 1]);
  // Complete checkpoints newer than `newestComplete` are not counted nor touched.
  await pruneCheckpoints(root2, 2, 1);
  assert.deepEqual(await listCheckpointIds(root2), [3, 2]);
});

test('pruning takes the metadata a coordinator wrote from its own record, and keeps what it references', async () => {
  const root = newRoot();
  const written = new Map<string, CheckpointMetadata>();
  for (const id of [1, 2, 3, 4])
    written.set(join(root, checkpointDirName(id)), (await writeCheckpoint(root, id)).metadata);
  // The record of checkpoint 4 says its incremental state builds on a file of checkpoint 1 (the file on disk does
  // not): only the record can keep checkpoint 1.
  const newest = written.get(join(root, checkpointDirName(4)))!;
  const [file] = newest.files;
  written.set(join(root, checkpointDirName(4)), {
    ...newest,
    references: [{ ...file!, checkpointDir: checkpointDirName(1) }],
  });
  await pruneCheckpoints(root, 4, 1, written);
  assert.deepEqual(await listCheckpointIds(root), [4, 1]);
  assert.deepEqual([...written.keys()].sort(), [join(root, checkpointDirName(1)), join(root, checkpointDirName(4))]);
  // Without the record the metadata on disk decides: nothing refers to checkpoint 1 any more.
  await pruneCheckpoints(root, 4, 1);
  assert.deepEqual(await listCheckpointIds(root), [4]);
});

test('checkpoint ids: only chk-<digits> directories, newest first', async () => {
  const root = newRoot();
  for (const id of [3, 10, 1]) await writeCheckpoint(root, id, false);
  mkdirSync(join(root, 'chk-abc'));
  mkdirSync(join(root, 'savepoint-5'));
  assert.deepEqual(await listCheckpointIds(root), [10, 3, 1]);
  assert.equal(checkpointDirName(42), 'chk-0000000042');
  assert.deepEqual(await listCheckpointIds(join(tmp, 'missing')), []);
});

test('CLI: a corrupt newest checkpoint is reported once and the previous one restores an exact result', {
  timeout: 150_000,
}, async (t) => {
  const count = 15_000;
  const ck = join(tmp, 'e2e-ck');
  const out = join(tmp, 'e2e-out');
  const command = ratedCheckpointCommand(ck, out, count, 3000);
  const first = new SluiceProcess(command);
  try {
    const ok = await first.waitUntil(
      () => first.completedCheckpoints().length >= 5 && committedLines(out).length > 0,
      90_000,
    );
    assert.ok(ok, `the job made no progress\n${first.stderr}`);
    // The harder case: the newest checkpoint's output is already published when the kill comes (so restoring the
    // previous checkpoint must not produce that output a second time). Wait until it is, within bounds.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && first.exit === undefined) {
      const newest = completeCheckpointIds(ck)[0];
      const published =
        newest !== undefined &&
        (await checkpointCommittables(checkpointPath(ck, newest)).then(
          (names) => names.length > 0 && names.every((n) => existsSync(join(out, n))),
          () => false,
        ));
      if (published) break;
      await sleep(5);
    }
  } finally {
    await first.kill();
  }
  assert.equal(first.exit!.signal, 'SIGKILL', describeExit(first.exit!));
  const [newest, previous] = completeCheckpointIds(ck);
  assert.ok(newest !== undefined && previous !== undefined, `two complete checkpoints expected: ${readdirSync(ck)}`);
  const metadata = JSON.parse(
    readFileSync(join(checkpointPath(ck, newest), '_metadata'), 'utf8'),
  ) as CheckpointMetadata;
  const publishedByNewest = (await checkpointCommittables(checkpointPath(ck, newest))).filter((n) =>
    existsSync(join(out, n)),
  );
  // Small state (the sources' positions at least) is kept in the metadata, the rest in files.
  const inline = metadata.files.filter((f) => f.inline !== undefined);
  assert.ok(inline.length > 0, `no state kept in the metadata: ${metadata.files.map((f) => f.name)}`);
  for (const f of metadata.files) assert.equal(existsSync(join(checkpointPath(ck, newest), f.name)), !f.inline, f.name);
  // Corrupt the biggest state of the newest checkpoint, keeping its size (only the checksum can tell): a state file
  // if it has one, else a payload kept in its metadata.
  const inFiles = metadata.files.filter((f) => f.inline === undefined);
  const victim = (inFiles.length > 0 ? inFiles : metadata.files).sort((a, b) => b.size - a.size)[0]!;
  if (victim.inline === undefined)
    flipByte(join(checkpointPath(ck, newest), victim.name), 65 + Math.floor(victim.size / 2));
  else {
    const at = Math.floor(victim.inline.length / 2);
    const swapped = victim.inline[at] === 'A' ? 'B' : 'A';
    victim.inline = victim.inline.slice(0, at) + swapped + victim.inline.slice(at + 1);
    writeFileSync(join(checkpointPath(ck, newest), '_metadata'), JSON.stringify(metadata));
  }
  t.diagnostic(
    `killed after checkpoint ${newest} (its published part files: ${publishedByNewest.join(', ') || '-'}); corrupted ${victim.name} of it; expecting ${previous}`,
  );

  const second = new SluiceProcess(command);
  const e = await second.exited;
  assert.equal(e.code, 0, describeExit(e));
  const warnings = e.stderr.split('\n').filter((l) => /warning/.test(l));
  assert.equal(warnings.length, 1, `exactly one warning line expected\n${e.stderr}`);
  assert.match(
    warnings[0]!,
    new RegExp(
      `^warning: checkpoint ${newest} is corrupt \\(.*${victim.name.replace('.', '\\.')}.*\\); using an older one$`,
    ),
  );
  assert.match(e.stderr, new RegExp(`^restoring from checkpoint ${previous} \\(`, 'm'), describeExit(e));
  const lines = committedLines(out);
  const reference = ratedReference(count);
  const extra = notCovered(lines, reference);
  assert.deepEqual(
    extra.slice(0, 3),
    [],
    `${extra.length} records are duplicates or wrong (part files published by checkpoint ${newest}: ${publishedByNewest.join(', ') || '-'})`,
  );
  assert.equal(lines.length, reference.length, 'wrong number of output records');
  assert.deepEqual(lines, reference, 'the output after restoring from the older checkpoint is not exact');
  assert.deepEqual(hiddenFiles(out), []);
});

test('state files read back the same whether written in one call or streamed piece by piece', async () => {
  const dir = join(tmp, 'one-write-or-streamed');
  // Small and exactly the one-write size (written whole), just over it, and many pieces well over it (streamed).
  const cases: Buffer[][] = [
    [Buffer.from('a'), Buffer.alloc(1000, 2), Buffer.from('z')],
    [Buffer.alloc(ONE_WRITE_BYTES - 1, 4), Buffer.from('y')],
    [Buffer.alloc(ONE_WRITE_BYTES, 3), Buffer.from('x')],
    Array.from({ length: 40 }, (_, i) => Buffer.alloc(Math.ceil(ONE_WRITE_BYTES / 20) + i, i)),
  ];
  for (const [i, pieces] of cases.entries()) {
    const ref = await writeStateFile(dir, `s-${i}.state`, pieces, ['op']);
    const payload = Buffer.concat(pieces);
    assert.equal(ref.size, payload.length);
    const raw = readFileSync(join(dir, ref.name));
    assert.equal(raw.subarray(0, 65).toString('latin1'), `${ref.sha256}\n`);
    assert.deepEqual(await readStateFile(dir, ref), payload);
  }
});

test('small state is kept in the metadata, checksummed; a larger one goes to a file, every piece of it', async () => {
  const root = newRoot();
  const dir = join(root, checkpointDirName(1));
  const small = await writeStateFile(
    dir,
    's-0-0.state',
    [Buffer.from('position '), Buffer.from('42')],
    ['source-1'],
    64,
  );
  assert.equal(small.inline, Buffer.from('position 42').toString('base64'));
  assert.equal(small.size, 11);
  assert.ok(!existsSync(join(dir, 's-0-0.state')), 'an inline state has no file');
  // Pieces from a generator that crosses the limit in its middle: the pieces after the crossing are written too.
  function* pieces() {
    for (let i = 0; i < 10; i++) yield Buffer.alloc(20, i);
  }
  const large = await writeStateFile(dir, 's-1-0.state', pieces(), ['window-3'], 64);
  assert.equal(large.inline, undefined);
  assert.deepEqual(await readStateFile(dir, large), Buffer.concat([...pieces()]));
  // Limit 0 (state a later checkpoint builds on): always a file, even when empty.
  const link = await writeStateFile(dir, 's-2-0.state', [], ['window-5'], 0);
  assert.equal(link.inline, undefined);
  assert.ok(existsSync(join(dir, 's-2-0.state')));
  const metadata = metadataOf(1, [small, large, link]);
  await writeMetadata(dir, metadata);
  const read = await readMetadata(dir);
  assert.deepEqual(read.files, metadata.files);
  assert.equal((await readStateFile(dir, read.files[0]!)).toString(), 'position 42');
  assert.equal((await findLatestCheckpoint(root, () => assert.fail('nothing is corrupt')))?.dir, dir);

  // A changed inline payload is caught by its checksum, and the checkpoint is reported as corrupt.
  const older = await writeCheckpoint(root, 0);
  const edited = { ...small, inline: Buffer.from('position 43').toString('base64') };
  await writeMetadata(dir, { ...metadata, files: [edited, large, link] });
  await rejectsCorrupt(readStateFile(dir, edited), /state of s-0-0\.state kept in _metadata is corrupt/);
  const reported: string[] = [];
  assert.equal((await findLatestCheckpoint(root, (l) => reported.push(l)))?.dir, older.dir);
  assert.match(reported[0]!, /^checkpoint 1 is corrupt \(the state of s-0-0\.state kept in _metadata/);
});

test('inlineStateBytes: small state in the metadata by default, every state in a file with 0', async () => {
  const { StreamExecutionEnvironment } = await import('../src/index.js');
  for (const inlineStateBytes of [undefined, 0]) {
    const ck = join(newRoot(), 'ck');
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env.enableCheckpointing(50, ck, inlineStateBytes === undefined ? {} : { inlineStateBytes });
    const sums = env
      .fromGenerator((i) => i + 1, { count: 300 })
      .uid('numbers')
      .keyBy((n) => n % 3)
      .reduce((a, b) => a + b, { emit: 'final' })
      .uid('sums')
      .collect();
    await env.execute('inline-state', { log: () => {} });
    const reference = [0, 1, 2].map((k) => {
      let sum = 0;
      for (let n = 1; n <= 300; n++) if (n % 3 === k) sum += n;
      return sum;
    });
    assert.deepEqual(
      sums.get().sort((a, b) => a - b),
      reference.sort((a, b) => a - b),
    );
    const newest = (await listCheckpointIds(ck))[0]!;
    const dir = join(ck, checkpointDirName(newest));
    const metadata = await readMetadata(dir);
    const inline = metadata.files.filter((f) => f.inline !== undefined);
    // Every state here is small: the sources' positions and the final (self-contained) sums.
    const expected = inlineStateBytes === 0 ? [] : metadata.files;
    assert.deepEqual(inline.map((f) => f.name).sort(), expected.map((f) => f.name).sort());
    assert.equal(metadata.files.length, 4, 'two source and two sum subtasks have state');
    for (const f of metadata.files) assert.equal(existsSync(join(dir, f.name)), f.inline === undefined, f.name);
  }
  assert.throws(
    () => StreamExecutionEnvironment.create().enableCheckpointing(50, 'ck', { inlineStateBytes: -1 }),
    /inlineStateBytes must be an integer from 0 to 1048576, got -1/,
  );
});

test('state kept in an earlier checkpoint’s metadata is found and verified through a reference', async () => {
  const root = newRoot();
  const base = join(root, checkpointDirName(1));
  const link = await writeStateFile(base, 's-1-0.state', [Buffer.from('delta of checkpoint 1')], ['window-3'], 4096);
  await writeMetadata(base, metadataOf(1, [link]));
  const { inline: _, ...stored } = link;
  const reference: ReferencedFile = { ...stored, checkpointDir: checkpointDirName(1), inMetadata: true };
  assert.equal((await readReferencedState(root, reference)).toString(), 'delta of checkpoint 1');
  const dir2 = join(root, checkpointDirName(2));
  const own = await writeStateFile(dir2, 's-1-0.state', [Buffer.from('delta of checkpoint 2')], ['window-3'], 4096);
  await writeMetadata(dir2, metadataOf(2, [own], [reference]));
  assert.equal((await findLatestCheckpoint(root, () => assert.fail('nothing is corrupt')))?.dir, dir2);
  // Pruning keeps the checkpoint whose metadata holds the referenced state.
  await pruneCheckpoints(root, 2, 1);
  assert.deepEqual(await listCheckpointIds(root), [2, 1]);

  // The referenced payload changed in its metadata, or went missing from it: checkpoint 2 is corrupt.
  await writeMetadata(
    base,
    metadataOf(1, [{ ...link, inline: Buffer.from('delta of checkpoint X').toString('base64') }]),
  );
  await rejectsCorrupt(readReferencedState(root, reference), /s-1-0\.state kept in _metadata is corrupt/);
  await writeMetadata(base, metadataOf(1, []));
  await rejectsCorrupt(readReferencedState(root, reference), /the state of s-1-0\.state is missing from .*_metadata/);
  const reported: string[] = [];
  assert.equal((await findLatestCheckpoint(root, (l) => reported.push(l)))?.dir, base);
  assert.match(reported[0]!, /^checkpoint 2 is corrupt \(the state of s-1-0\.state is missing/);
});
