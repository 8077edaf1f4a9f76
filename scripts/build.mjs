// Compiles src/ to dist/ (JavaScript with .d.ts types), the form the published package runs from. Plain .mjs files
// (the worker-thread entry) are copied as they are. Then builds the dashboard (web-ui/, Vite) into dist/web-ui, so
// the package ships its static files and nothing is built at install. `npm pack` runs it (prepack); a checkout runs
// from src/ and needs no build (`npm run build:ui` builds the dashboard into web-ui/dist for it).
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

rmSync('dist', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
for (const f of readdirSync('src', { recursive: true })) {
  const file = String(f);
  if (file.endsWith('.mjs')) copyFileSync(join('src', file), join('dist', file));
}
const { build } = await import('vite');
await build({ root: 'web-ui', logLevel: 'warn', build: { outDir: resolve('dist/web-ui'), emptyOutDir: true } });
