// What the modules loaded in this process need of a thread that loads them again (a worker thread rebuilding the job).
// The command notes, while it loads the job, whether any module needed the TypeScript loader (a TypeScript file, or
// a resolution plain Node would not make: an extensionless or rewritten relative path, a tsconfig path alias, JSON
// without an import attribute) and whether 'sluice' had to be routed to the running engine. The flags live in shared
// memory because ES module resolution runs on the loader's own thread and must be visible at once on the main
// thread, with no message in between. A worker whose job needs neither starts without any loader (see
// worker-entry.mjs), which is most of a worker's start-up.
import { engineEntry } from './engine-resolution.mjs';

const KEY = Symbol.for('sluice.moduleNeeds');
const TYPESCRIPT = 0;
const ENGINE_FALLBACK = 1;
const ENTRIES = 2;
const TS_FILE = /\.(?:[cm]?tsx?)$/;

/** The entry points evaluated before a job loads (see register-loaders.mjs). */
export const PRELOADED = ['sluice', 'sluice/testing', 'sluice/kafka', 'sluice/statefun'];

/** Starts noting in this thread; returns the shared buffer to hand to the loader thread's hooks. */
export function startNoting() {
  const needs = new Int32Array(new SharedArrayBuffer(12));
  globalThis[KEY] = needs;
  return needs.buffer;
}

/** Notes that `specifier` (imported or required from `parent`, a URL or path) was resolved to `url` (URL or path). */
export function noteResolved(specifier, parent, url, jsonAttribute = false) {
  const needs = globalThis[KEY];
  if (needs === undefined || typeof url !== 'string') return;
  const entry = PRELOADED.indexOf(specifier);
  if (entry >= 0) Atomics.or(needs, ENTRIES, 1 << entry);
  if (needsLoader(specifier, parent, url, jsonAttribute)) Atomics.store(needs, TYPESCRIPT, 1);
}

/** Notes that 'sluice…' could not be resolved from the importing file and was routed to the running engine. */
export function noteEngineFallback() {
  const needs = globalThis[KEY];
  if (needs !== undefined) Atomics.store(needs, ENGINE_FALLBACK, 1);
}

/** Forgets the entry points noted so far (those the command itself imported). */
export function forgetEntries() {
  const needs = globalThis[KEY];
  if (needs !== undefined) Atomics.store(needs, ENTRIES, 0);
}

/**
 * Whether worker threads may load the modules of this thread without the TypeScript loader and the engine hooks;
 * false when nothing was noted (the loaders were not registered here, so nothing is known).
 */
export function plainNodeSuffices() {
  const needs = globalThis[KEY];
  return needs !== undefined && Atomics.load(needs, TYPESCRIPT) === 0 && Atomics.load(needs, ENGINE_FALLBACK) === 0;
}

/**
 * The entry points a thread loading the job again must evaluate first: 'sluice' and those the job's modules asked
 * for here (a CommonJS job's require() of one needs it evaluated); all of them when nothing was noted.
 */
export function entriesToPreload() {
  const needs = globalThis[KEY];
  if (needs === undefined) return PRELOADED;
  const used = Atomics.load(needs, ENTRIES);
  return PRELOADED.filter((_, i) => i === 0 || (used & (1 << i)) !== 0);
}

function needsLoader(specifier, parent, url, jsonAttribute) {
  const path = url.startsWith('file:') ? new URL(url).pathname : url;
  if (!path.startsWith('/')) return false; // a builtin module
  if (TS_FILE.test(path)) return true;
  if (path.endsWith('.json') && !jsonAttribute && url.startsWith('file:')) return true;
  if (/^(?:\.\.?\/|\/|file:)/.test(specifier)) {
    if (parent === undefined || !url.startsWith('file:')) return false; // require(): CommonJS resolves these alike
    return new URL(specifier, parent).pathname !== path;
  }
  // A bare specifier: a package from node_modules, or the engine; anything else came from a path alias.
  return !path.includes('/node_modules/') && engineEntry(specifier) === undefined;
}
