// Runs every test/**/*.test.ts file with Node's test runner, TypeScript loaded by tsx.
// Usage: node scripts/run-tests.mjs [name-filter]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const filter = process.argv[2];
const files = readdirSync('test', { recursive: true })
  .map((f) => f.split('\\').join('/'))
  .filter((f) => f.endsWith('.test.ts') && !f.startsWith('fixtures/') && (filter === undefined || f.includes(filter)))
  .sort()
  .map((f) => `test/${f}`);
// Inside the repository 'sluice' and the CLI resolve to the TypeScript sources (the 'sluice-source' export condition),
// for the test process and every process it starts; test/package.test.ts checks the compiled package from outside.
const NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --conditions=sluice-source`.trim();
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS },
});
process.exit(result.status ?? 1);
