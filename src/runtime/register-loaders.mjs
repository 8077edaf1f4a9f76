// Makes job files loadable in this thread: TypeScript for both module systems (.ts, .mts, .cts), and 'sluice' /
// 'sluice/…' resolved to the engine that runs the job (see engine-resolution.mjs). The public entry points are then
// evaluated, so a CommonJS job's require('sluice…') finds the one ES module instance already in the cache (require()
// of an ES module cannot wait for asynchronous loader hooks). Used by the command line and by worker threads whose
// job needs the loaders (module-needs.mjs); a worker thread evaluates only the entry points the job used on the main
// thread (`workerData.preload`), the main thread all of them, since it cannot know what a CommonJS job will require.
// 'sluice/sql' is left out on purpose: it would add about half again to this preload in every thread of every job,
// and it needs no preload: its modules import the core by relative paths, which are in the cache once 'sluice' is,
// so require('sluice/sql') from a CommonJS job loads it synchronously onto the same instance (test/package.test.ts).
import Module, { register } from 'node:module';
import { isMainThread, workerData } from 'node:worker_threads';
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';
import { engineEntry, fromSources } from './engine-resolution.mjs';
import { forgetEntries, noteEngineFallback, noteResolved, PRELOADED, startNoting } from './module-needs.mjs';

registerEsm();
registerCommonJs();
// What the job's modules need of worker threads is noted on the main thread only (the thread that loads it first).
register('./engine-resolve-hooks.mjs', import.meta.url, isMainThread ? { data: { needs: startNoting() } } : {});
resolveEngineForCommonJs();
const preload = (!isMainThread && workerData?.preload) || PRELOADED;
await Promise.all(preload.map((m) => import(m)));
forgetEntries(); // the preload's own imports say nothing about the job

/**
 * The CommonJS counterpart of engine-resolve-hooks.mjs. Node 20 has no public resolution hook for require(), so this
 * wraps Module._resolveFilename (the long-standing extension point that tsx and path-alias tools also wrap).
 */
function resolveEngineForCommonJs() {
  const original = Module._resolveFilename;
  if (typeof original !== 'function') return;
  Module._resolveFilename = function (request, ...rest) {
    const resolved = resolveWithEngine.call(this, original, request, rest);
    noteResolved(request, undefined, resolved);
    return resolved;
  };
}

function resolveWithEngine(original, request, rest) {
  const engine = typeof request === 'string' ? engineEntry(request) : undefined;
  if (engine !== undefined && fromSources) return engine;
  try {
    return original.call(this, request, ...rest);
  } catch (e) {
    if (engine === undefined || e?.code !== 'MODULE_NOT_FOUND') throw e;
    noteEngineFallback();
    return engine;
  }
}
