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
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
