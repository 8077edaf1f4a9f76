import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { linesPerPrint, parseGuide, type Snippet } from './fixtures/guide-snippets.js';
import { typecheck } from './fixtures/typecheck.js';

/**
 * docs/GUIDE.md cannot rot: every TypeScript snippet in it is type-checked, and every runnable one is run the way a
 * reader would run it, its standard output (and any output file it shows) compared exactly with what the guide
 * prints. The marker convention is described in test/fixtures/guide-snippets.ts and at the end of the guide.
 */

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'bin/sluice.mjs');
/** Inside the repository, so `import ... from 'sluice'` resolves to the package itself (git-ignored). */
const dir = join(root, '.guide-snippets');
const work = join(dir, 'work');

const { snippets, inputFiles } = parseGuide(readFileSync(join(root, 'docs/GUIDE.md'), 'utf8'));
rmSync(dir, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
for (const s of snippets) writeFileSync(join(dir, s.fileName), s.code);
for (const f of inputFiles) writeFileSync(join(work, f.name), f.content);

function run(s: Snippet): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = join(dir, s.fileName);
  const args = s.mode.kind === 'run' ? [bin, 'run', file, ...s.mode.args] : ['--import', 'tsx', file];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the guide has runnable snippets and each TypeScript snippet is either run or marked type-check only', () => {
  assert.ok(snippets.filter((s) => s.mode.kind !== 'typecheck').length >= 20, 'runnable snippets found');
  for (const s of snippets) {
    if (s.mode.kind !== 'typecheck') {
      assert.ok(s.expectedStdout !== undefined, `snippet at line ${s.line} is followed by no \`\`\`text block`);
    }
  }
});

// Started at once, so the compiler runs while the snippets run.
const typechecked = typecheck(
  snippets.map((s) => join('.guide-snippets', s.fileName)),
  '.guide-snippets',
);

test('every snippet of the guide type-checks', async () => {
  const r = await typechecked;
  assert.equal(r.code, 0, r.output);
});

describe('every runnable snippet of the guide prints what the guide shows', { concurrency: 3 }, () => {
  for (const s of snippets) {
    if (s.mode.kind === 'typecheck') continue;
    test(`docs/GUIDE.md line ${s.line}`, async () => {
      for (const f of s.outputFiles) rmSync(join(work, f.name), { recursive: true, force: true });
      const r = await run(s);
      assert.equal(r.code, 0, `exit code ${r.code}\n${r.stderr}`);
      if (s.stdoutOrder === 'per-print') {
        assert.deepEqual(
          linesPerPrint(r.stdout),
          linesPerPrint(s.expectedStdout!),
          `standard output of the snippet at line ${s.line}, per print label\n${r.stderr}`,
        );
      } else assert.equal(r.stdout, s.expectedStdout, `standard output of the snippet at line ${s.line}\n${r.stderr}`);
      for (const f of s.outputFiles) {
        assert.equal(readFileSync(join(work, f.name), 'utf8'), f.content, `file ${f.name} of line ${s.line}`);
      }
    });
  }
});

test('the snippet convention: markers, stdout and output files, input files, unrelated blocks', () => {
  const fence = '```';
  const md = [
    `${fence}csv file=in.csv`,
    'a,b',
    fence,
    '<!-- snippet: run -p 2 -- x -->',
    '',
    `${fence}ts`,
    'one',
    fence,
    '',
    `${fence}text`,
    'printed',
    fence,
    `${fence}text output=out.txt`,
    'written',
    fence,
    'Prose separates blocks.',
    `${fence}text`,
    'not an output',
    fence,
    '<!-- snippet: typecheck -->',
    `${fence}ts`,
    'two',
    fence,
    `${fence}sh`,
    'npx sluice run two.ts',
    fence,
    `${fence}ts`,
    'three',
    fence,
    `${fence}text`,
    fence,
  ].join('\n');
  const { snippets, inputFiles } = parseGuide(md);
  assert.deepEqual(inputFiles, [{ name: 'in.csv', content: 'a,b\n' }]);
  assert.deepEqual(
    snippets.map((s) => [s.line, s.code, s.mode, s.expectedStdout, s.outputFiles]),
    [
      [
        6,
        'one\n',
        { kind: 'run', args: ['-p', '2', '--', 'x'] },
        'printed\n',
        [{ name: 'out.txt', content: 'written\n' }],
      ],
      [21, 'two\n', { kind: 'typecheck' }, undefined, []],
      [27, 'three\n', { kind: 'run', args: [] }, '', []],
    ],
  );
  assert.deepEqual(
    snippets.map((s) => s.stdoutOrder),
    ['exact', 'exact', 'exact'],
  );
  const perPrint = parseGuide([`${fence}ts`, 'x', fence, `${fence}text order=per-print`, 'a: 1', fence].join('\n'));
  assert.equal(perPrint.snippets[0]!.stdoutOrder, 'per-print');
  // Lines of one label keep their order; labels may interleave either way.
  assert.deepEqual(linesPerPrint('a: 1\nb: x\na: 2\n'), linesPerPrint('b: x\na: 1\na: 2\n'));
  assert.notDeepEqual(linesPerPrint('a: 1\na: 2\n'), linesPerPrint('a: 2\na: 1\n'));
});
