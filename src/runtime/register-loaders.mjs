// Makes job files loadable in this thread: TypeScript for both module systems (.ts, .mts, .cts), and 'sluice'
// resolvable from a job file outside any project that installs it. Every public entry point is then evaluated, so
// a CommonJS job's require('sluice…') finds the one ES module instance already in the cache (require() of an ES
// module cannot wait for asynchronous loader hooks). Used by the command line and by every worker thread.
import Module, { createRequire, register } from 'node:module';
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

registerEsm();
registerCommonJs();
register('./engine-resolve-hooks.mjs', import.meta.url, { data: { engineURL: import.meta.url } });
resolveEngineForCommonJs();
await Promise.all(['sluice', 'sluice/testing', 'sluice/kafka', 'sluice/statefun'].map((m) => import(m)));

/**
 * The CommonJS counterpart of engine-resolve-hooks.mjs. Node 20 has no public resolution hook for require(), so this
 * wraps Module._resolveFilename (the long-standing extension point that tsx and path-alias tools also wrap); it only
 * acts after Node's own resolution has failed.
 */
function resolveEngineForCommonJs() {
  const original = Module._resolveFilename;
  if (typeof original !== 'function') return;
  const engineRequire = createRequire(import.meta.url);
  Module._resolveFilename = function (request, ...rest) {
    try {
      return original.call(this, request, ...rest);
    } catch (e) {
      const ours = request === 'sluice' || (typeof request === 'string' && request.startsWith('sluice/'));
      if (!ours || e?.code !== 'MODULE_NOT_FOUND') throw e;
      return engineRequire.resolve(request);
    }
  };
}
