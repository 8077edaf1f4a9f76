import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

/**
 * Failures of `sluice run` as a user meets them: each is one `error:` line naming what failed and where (the path,
 * the option, the operator and record), with no stack frames of the engine, and the right exit code.
 */

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'bin/sluice.mjs');
const copyJob = join(root, 'test/fixtures/copy-lines-job.ts');
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-errors-'));
const input = join(dir, 'lines.txt');
writeFileSync(input, 'a\nb\nc\n');
const aFile = join(dir, 'a-file');
writeFileSync(aFile, 'not a directory\n');

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Run = ReturnType<typeof sluice>;
const show = (r: Run) => `exit code ${r.code}\n--- stderr ---\n${r.stderr}`;

/** Exit code `code`, the only stderr line an `error:` line matching `message`, and no stack frames. */
function assertError(r: Run, code: number, message: RegExp): void {
  assert.equal(r.code, code, show(r));
  assert.match(r.stderr.trim().split('\n')[0]!, message, show(r));
  assert.doesNotMatch(r.stderr, /^\s+at /m, `stack frames in\n${r.stderr}`);
  // One error line; a run that failed while running also ends with its summary line.
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('summary: '));
  assert.equal(lines.length, 1, `more than one line\n${r.stderr}`);
}

const quote = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('file-system failures name the operation and the path', () => {
  assertError(
    sluice('run', copyJob, '--', input, join(aFile, 'out.txt')),
    1,
    new RegExp(`^error: cannot create directory '${quote(aFile)}': a file of that name is in the way \\(EEXIST\\)$`),
  );
  // The same from a worker thread: the failure crosses a thread boundary first.
  assertError(
    sluice('run', copyJob, '-p', '2', '--', input, join(aFile, 'out.txt')),
    1,
    new RegExp(`^error: cannot create directory '${quote(aFile)}': a file of that name is in the way \\(EEXIST\\)$`),
  );
  assertError(
    sluice('run', copyJob, '--checkpoint-dir', join(dir, 'ck-1'), '--', input, join(aFile, 'out')),
    1,
    new RegExp(`^error: cannot create directory '${quote(join(aFile, 'out'))}': .* \\(ENOTDIR\\)$`),
  );
  assertError(
    sluice('run', copyJob, '--checkpoint-dir', join(aFile, 'ck'), '--', input, join(dir, 'out-2.txt')),
    1,
    new RegExp(`^error: cannot create directory '${quote(join(aFile, 'ck'))}': .* \\(ENOTDIR\\)$`),
  );
  const existingDir = join(dir, 'a-directory');
  mkdirSync(existingDir);
  assertError(
    sluice('run', copyJob, '--', input, existingDir),
    1,
    new RegExp(`^error: cannot open '${quote(existingDir)}': it is a directory \\(EISDIR\\)$`),
  );
});

test('a reader that goes away ends the run quietly (sluice run job.ts | head -1)', () => {
  for (const p of ['1', '2']) {
    const r = spawnSync(
      'bash',
      [
        '-c',
        `"${process.execPath}" "${bin}" run test/fixtures/print-lines-job.ts -p ${p} | head -1; echo "exit \${PIPESTATUS[0]}"`,
      ],
      { cwd: root, encoding: 'utf8', timeout: 120_000 },
    );
    assert.match(r.stdout, /^(\d> )?line \d+\nexit 0\n$/, `-p ${p}: ${r.stdout}\n${r.stderr}`);
    assert.equal(r.stderr, '', `-p ${p}`);
  }
});

test('a key selector returning undefined names the operator and the record', () => {
  for (const p of ['1', '2']) {
    assertError(
      sluice('run', 'test/fixtures/bad-key-job.ts', '-p', p),
      1,
      /^error: the key selector of operator 'sum-ids' \(uid [^)]+\) returned an invalid key on record \{"id":3,"note":"x+… \(\d+ chars\): a key must be .*, got undefined$/,
    );
  }
});

test('an input directory without files is refused, naming it', () => {
  const empty = join(dir, 'empty-input');
  mkdirSync(empty);
  writeFileSync(join(empty, '.hidden'), 'skipped\n');
  assertError(
    sluice('run', copyJob, '--', empty, join(dir, 'out-3.txt')),
    1,
    new RegExp(`^error: input directory '${quote(empty)}' has no files to read`),
  );
});

test('checkpoint options without --checkpoint-dir are refused', () => {
  const out = join(dir, 'out-4.txt');
  assertError(
    sluice('run', copyJob, '--checkpoint-interval', '100', '--', input, out),
    2,
    /^error: --checkpoint-interval needs --checkpoint-dir DIR: without it the job takes no checkpoints$/,
  );
  assertError(
    sluice('run', copyJob, '--retained-checkpoints', '3', '--fresh', '--', input, out),
    2,
    /^error: --retained-checkpoints, --fresh need --checkpoint-dir DIR/,
  );
});

test('an output path equal to, inside or containing an input path is refused, naming both', () => {
  const inDir = join(dir, 'in-dir');
  mkdirSync(inDir);
  const file = join(inDir, 'a.txt');
  writeFileSync(file, 'a\nb\n');
  const cases: [string[], string, string, string][] = [
    [[file, file], file, 'is the input', file],
    [[inDir, join(inDir, 'out.txt')], join(inDir, 'out.txt'), 'is inside the input directory', inDir],
    [['--checkpoint-dir', join(dir, 'ck-5'), '--', file, inDir], inDir, 'contains the input', file],
  ];
  for (const [args, out, relation, inPath] of cases) {
    const engine = args[0] === '--checkpoint-dir' ? args.slice(0, 3) : ['--'];
    const job = args[0] === '--checkpoint-dir' ? args.slice(3) : args;
    assertError(
      sluice('run', copyJob, ...engine, ...job),
      1,
      new RegExp(`^error: sink 'file:${quote(out)}' writes to '${quote(out)}', which ${relation} '${quote(inPath)}'`),
    );
  }
  assert.equal(readFileSync(file, 'utf8'), 'a\nb\n', 'the input was changed');
});

test('sluice savepoint names a checkpoint directory it cannot use', () => {
  const ck = join(aFile, 'ck');
  assertError(
    sluice('savepoint', '--checkpoint-dir', ck, '--target', join(dir, 'sp'), '--timeout', '1000'),
    1,
    new RegExp(`^error: savepoint failed: cannot create directory '${quote(ck)}/_requests': .* \\(ENOTDIR\\)$`),
  );
});

test('a syntax error in a JavaScript job file names the file and line', () => {
  const jobs = {
    'bad-job.mjs':
      'export default {\n  kind: "sluice.job",\n  build(env) { env.fromElements(1).map((w: string) => w); },\n};\n',
    'bad-job.cjs':
      'module.exports = {\n  kind: "sluice.job",\n  build(env) { env.fromElements(1).map((w: string) => w); },\n};\n',
  };
  for (const [name, text] of Object.entries(jobs)) {
    const job = join(dir, name);
    writeFileSync(job, text);
    const r = sluice('run', job);
    assert.equal(r.code, 1, show(r));
    const [error, where, line] = r.stderr.split('\n');
    assert.match(error!, new RegExp(`^error: failed to load job ${quote(job)}: Unexpected token ':'$`), show(r));
    assert.equal(where, `  at ${job}:3`, show(r));
    assert.match(line!, /map\(\(w: string\) => w\)/, show(r));
  }
});

test('ES module syntax in a file loaded as CommonJS says so', () => {
  const job = join(dir, 'esm-in.cjs');
  writeFileSync(
    job,
    "import { defineJob } from 'sluice';\nexport default defineJob((env) => env.fromElements(1).print());\n",
  );
  const r = sluice('run', job);
  assert.equal(r.code, 1, show(r));
  assert.match(r.stderr, /uses ES module syntax \(import\/export\) but is loaded as CommonJS/, show(r));
});

test('a failure that recurs on replay is not restarted, even with checkpoints (whose default strategy restarts)', () => {
  for (const p of ['1', '2']) {
    const r = sluice('run', 'test/fixtures/bad-key-job.ts', '-p', p, '--checkpoint-dir', join(dir, `bad-key-ck-${p}`));
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /^not restarting: this failure \(KeySelectorError\) recurs/m, show(r));
    assert.match(r.stderr, /^error: the key selector of operator 'sum-ids'/m, show(r));
    assert.doesNotMatch(r.stderr, /^restarting/m, show(r));
  }
});
