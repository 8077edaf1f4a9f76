/**
 * The files of a new Sluice project (`sluice init DIR`): a job that counts clicks per user in one-minute event-time
 * windows, the pipeline it is built from kept apart so a unit test can drive it with `sluice/testing`, sample data,
 * and a README with the two commands. Every file is a function of the project's name and the sluice dependency.
 */
export interface ProjectSettings {
  /** The package name of the new project. */
  readonly name: string;
  /** How its package.json depends on sluice (a version range or a `file:` specifier). */
  readonly sluiceSpec: string;
  /** Versions of the TypeScript tooling the project pins (the ones this package is built and tested with). */
  readonly tsxVersion: string;
  readonly typescriptVersion: string;
  readonly nodeTypesVersion: string;
}

export function projectFiles(s: ProjectSettings): Record<string, string> {
  return {
    'package.json': `${JSON.stringify(packageJson(s), null, 2)}\n`,
    'tsconfig.json': TSCONFIG,
    '.gitignore': 'node_modules/\nout/\n',
    'src/pipeline.ts': PIPELINE,
    'src/job.ts': JOB,
    'test/pipeline.test.ts': TEST,
    'data/clicks.jsonl': CLICKS,
    'README.md': readme(s.name),
  };
}

function packageJson(s: ProjectSettings): unknown {
  return {
    name: s.name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      start: 'sluice run src/job.ts -- --input data/clicks.jsonl',
      test: 'tsc --noEmit && node --import tsx --test test/*.test.ts',
    },
    dependencies: { sluice: s.sluiceSpec },
    devDependencies: { '@types/node': s.nodeTypesVersion, tsx: s.tsxVersion, typescript: s.typescriptVersion },
    // Sluice's native dependencies ship prebuilt binaries as optional packages; their install scripts are not needed.
    allowScripts: { esbuild: false, lmdb: false, 'msgpackr-extract': false },
  };
}

const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "skipLibCheck": true,
    "noEmit": true,
    "types": ["node"]
  },
  "include": ["src", "test"]
}
`;

const PIPELINE = `import { type DataStream, TumblingEventTimeWindows } from 'sluice';

/** One click on a page, at event time \`ts\` (epoch milliseconds). */
export interface Click {
  user: string;
  page: string;
  ts: number;
}

/** Clicks of one user in one window. */
export interface UserClicks {
  user: string;
  windowStart: number;
  clicks: number;
}

/** Counts each user's clicks in one-minute event-time windows. */
export function clicksPerMinute(clicks: DataStream<Click>): DataStream<UserClicks> {
  return clicks
    .keyBy((c) => c.user)
    .window(TumblingEventTimeWindows.of(60_000))
    .aggregate(
      { createAccumulator: () => 0, add: (_c: Click, n: number) => n + 1, getResult: (n) => n },
      {
        process(user, ctx, [clicks]) {
          return [{ user, windowStart: ctx.window.start, clicks }];
        },
      },
    );
}
`;

const JOB = `/**
 * Clicks per user and minute, from a JSON Lines file of clicks:
 *   npx sluice run src/job.ts -- --input data/clicks.jsonl
 */
import { parseArgs } from 'node:util';
import { defineJob, FileSource, WatermarkStrategies } from 'sluice';
import { type Click, clicksPerMinute } from './pipeline.js';

export default defineJob((env, args) => {
  const { values } = parseArgs({ args: [...args], options: { input: { type: 'string' } } });
  if (values.input === undefined) throw new Error('usage: sluice run src/job.ts -- --input FILE');
  const clicks = env.fromSource(
    FileSource.jsonLines<Click>(values.input),
    // Clicks arrive up to 5 s out of order.
    WatermarkStrategies.forBoundedOutOfOrderness<Click>(5_000).withTimestampAssigner((c) => c.ts),
  );
  clicksPerMinute(clicks).print();
});
`;

const TEST = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DataStream } from 'sluice';
import { OperatorTestHarness } from 'sluice/testing';
import { type Click, clicksPerMinute } from '../src/pipeline.js';

test('clicks are counted per user and minute once the watermark passes the window', async () => {
  const h = await OperatorTestHarness.create((s: DataStream<Click>) => clicksPerMinute(s));
  h.processElement({ user: 'ada', page: '/', ts: 1_000 }, 1_000);
  h.processElement({ user: 'bob', page: '/a', ts: 2_000 }, 2_000);
  h.processElement({ user: 'ada', page: '/b', ts: 59_999 }, 59_999);
  h.processElement({ user: 'ada', page: '/c', ts: 60_000 }, 60_000);
  h.processWatermark(30_000);
  assert.deepEqual(h.values(), [], 'no window is complete yet');
  h.processWatermark(59_999);
  const firstMinute = h.values().sort((a, b) => a.user.localeCompare(b.user));
  assert.deepEqual(firstMinute, [
    { user: 'ada', windowStart: 0, clicks: 2 },
    { user: 'bob', windowStart: 0, clicks: 1 },
  ]);
});
`;

const CLICKS = [
  { user: 'ada', page: '/', ts: 1_767_225_600_000 },
  { user: 'bob', page: '/pricing', ts: 1_767_225_601_500 },
  { user: 'ada', page: '/docs', ts: 1_767_225_630_000 },
  { user: 'ada', page: '/docs/guide', ts: 1_767_225_628_000 },
  { user: 'bob', page: '/signup', ts: 1_767_225_659_000 },
  { user: 'ada', page: '/', ts: 1_767_225_661_000 },
  { user: 'cy', page: '/blog', ts: 1_767_225_700_000 },
  { user: 'bob', page: '/', ts: 1_767_225_719_999 },
]
  .map((c) => JSON.stringify(c))
  .join('\n')
  .concat('\n');

function readme(name: string): string {
  return `# ${name}

A stream processing job on [Sluice](https://www.npmjs.com/package/sluice): clicks per user in one-minute event-time
windows.

\`\`\`sh
npm install && npm start   # runs src/job.ts on data/clicks.jsonl and prints one line per user and minute
npm test                   # type-checks, then runs the unit test of the pipeline (test/pipeline.test.ts)
\`\`\`

\`src/pipeline.ts\` holds the transformation, \`src/job.ts\` wires it to a source and a sink, and the test drives the
pipeline with \`OperatorTestHarness\` from \`sluice/testing\`: records and watermarks in, results out, no threads.
\`npx sluice run src/job.ts --help\` lists the engine options (parallelism, checkpoints, batch mode, …).
`;
}
