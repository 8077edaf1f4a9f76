// Where 'sluice' and 'sluice/…' lead when a job file imports them. Run from a checkout of the repository (these
// files under src/), always to the TypeScript sources of that checkout: there is no compiled dist/ to go to. Run from
// the installed package (under dist/), a project's own installation is used when there is one, and this engine
// otherwise (a job file kept outside any project).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));

/** Whether this engine runs from its TypeScript sources (a checkout) rather than from compiled dist/. */
export const fromSources = import.meta.url.endsWith('/src/runtime/engine-resolution.mjs');

/** The file a 'sluice…' specifier names in this engine, or undefined for other specifiers and unknown subpaths. */
export function engineEntry(specifier) {
  if (specifier !== 'sluice' && !specifier.startsWith('sluice/')) return undefined;
  const entry = manifest.exports[`.${specifier.slice('sluice'.length)}`];
  const target = typeof entry === 'string' ? entry : entry?.[fromSources ? 'sluice-source' : 'default'];
  return target === undefined ? undefined : fileURLToPath(new URL(target, root));
}
