import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { parseScript } from '../src/sql/parser/parse-script.js';
import { parseSqlGuide, type SqlGuideSnippet } from './fixtures/sql-guide-snippets.js';
import { typecheck } from './fixtures/typecheck.js';

/**
 * docs/SQL.md cannot rot: every SQL block in it parses, every TypeScript block type-checks, and every block followed
 * by its output is run the way a reader would run it (`sluice sql -f`, `sluice run`), its standard output (and the
 * files and errors it shows) compared exactly with the guide. The convention is in test/fixtures/sql-guide-snippets.ts
 * and at the end of the guide.
 */

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'bin/sluice.mjs');
/** Inside the repository, so `import ... from 'sluice/sql'` resolves to the package itself (git-ignored). */
const dir = join(root, '.sql-guide-snippets');
const work = join(dir, 'work');

const { snippets, inputFiles } = parseSqlGuide(readFileSync(join(root, 'docs/SQL.md'), 'utf8'));
rmSync(dir, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
for (const s of snippets) writeFileSync(join(work, s.fileName), s.code);
for (const f of inputFiles) {
  mkdirSync(dirname(join(work, f.name)), { recursive: true });
  writeFileSync(join(work, f.name), f.content);
}

const runnable = (s: SqlGuideSnippet) =>
  s.expectedStdout !== undefined || s.expectedStderr !== undefined || s.outputFiles.length > 0;

function run(s: SqlGuideSnippet): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const command = s.language === 'sql' ? ['sql', '-f', s.fileName] : ['run', s.fileName];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...command, ...s.args], {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the SQL guide has runnable snippets', () => {
  assert.ok(snippets.filter(runnable).length >= 8, 'runnable snippets found');
  assert.ok(
    snippets.some((s) => s.language === 'ts' && runnable(s)),
    'a runnable TypeScript job',
  );
});

test('every SQL block of the guide parses', () => {
  for (const s of snippets.filter((x) => x.language === 'sql')) {
    assert.doesNotThrow(() => parseScript(s.code, `docs/SQL.md line ${s.line}`), `SQL block at line ${s.line}`);
  }
});

// Started at once, so the compiler runs while the snippets run.
const typechecked = typecheck(
  [
    ...snippets.filter((s) => s.language === 'ts').map((s) => join('.sql-guide-snippets/work', s.fileName)),
    ...inputFiles.filter((f) => f.name.endsWith('.ts')).map((f) => join('.sql-guide-snippets/work', f.name)),
  ],
  '.sql-guide-snippets',
);

test('every TypeScript block of the SQL guide type-checks', async () => {
  const r = await typechecked;
  assert.equal(r.code, 0, r.output);
});

describe('every runnable snippet of the SQL guide prints what the guide shows', { concurrency: 2 }, () => {
  for (const s of snippets) {
    if (!runnable(s)) continue;
    test(`docs/SQL.md line ${s.line}`, async () => {
      for (const f of s.outputFiles) rmSync(join(work, f.name), { recursive: true, force: true });
      const r = await run(s);
      const fails = s.expectedStderr?.startsWith('error:') === true;
      assert.equal(r.code, fails ? 1 : 0, `exit code ${r.code}\n${r.stderr}`);
      if (s.expectedStdout !== undefined) {
        assert.equal(r.stdout, s.expectedStdout, `standard output of the snippet at line ${s.line}\n${r.stderr}`);
      }
      if (s.expectedStderr !== undefined) {
        assert.ok(r.stderr.includes(s.expectedStderr), `standard error of line ${s.line}:\n${r.stderr}`);
      }
      for (const f of s.outputFiles) {
        assert.equal(readFileSync(join(work, f.name), 'utf8'), f.content, `file ${f.name} of line ${s.line}`);
      }
    });
  }
});

test('the snippet convention: runnable blocks, stderr and output files, input files, markers', () => {
  const fence = '```';
  const md = [
    `${fence}json file=in.jsonl`,
    '{"a": 1}',
    fence,
    '',
    '<!-- snippet: run -p 2 -->',
    '',
    `${fence}sql name=q.sql`,
    'SELECT 1;',
    fence,
    '',
    `${fence}text`,
    'out',
    fence,
    `${fence}text output=o.json`,
    'file',
    fence,
    'Some prose.',
    `${fence}text`,
    'unrelated',
    fence,
    '- a list item:',
    '',
    `  ${fence}sql`,
    '  SELECT 2;',
    `  ${fence}`,
    '',
    `  ${fence}text stderr`,
    '  error: x',
    `  ${fence}`,
  ].join('\n');
  const guide = parseSqlGuide(md);
  assert.deepEqual(guide.inputFiles, [{ name: 'in.jsonl', content: '{"a": 1}\n' }]);
  assert.equal(guide.snippets.length, 2);
  const [first, second] = guide.snippets;
  assert.equal(first!.fileName, 'q.sql');
  assert.deepEqual(first!.args, ['-p', '2']);
  assert.equal(first!.expectedStdout, 'out\n');
  assert.deepEqual(first!.outputFiles, [{ name: 'o.json', content: 'file\n' }]);
  assert.equal(second!.code, 'SELECT 2;\n');
  assert.equal(second!.expectedStdout, undefined);
  assert.equal(second!.expectedStderr, 'error: x\n');
});
