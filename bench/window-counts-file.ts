import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import windowCounts from '../examples/window-counts.js';
import { defineJob } from '../src/index.js';

/**
 * The window-counts example on a generated JSON Lines file of `records` events (made once, cached in the temp
 * directory): file reading, JSON parsing and validation, keyBy, windows, JSON Lines output. args: [records]
 */
export default defineJob((env, args) => {
  const records = Number(args[0] ?? 1_000_000);
  const input = join(tmpdir(), `sluice-bench-events-${records}.jsonl`);
  if (!existsSync(input)) {
    const script = new URL('../scripts/generate-events.mjs', import.meta.url).pathname;
    writeFileSync(
      input,
      execFileSync(process.execPath, [script, String(records), '1000', '11'], { maxBuffer: 1 << 30 }),
    );
  }
  return windowCounts.build(env, ['--input', input, '--output', join(tmpdir(), 'sluice-bench-windows.jsonl')]);
});
