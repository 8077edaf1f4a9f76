// Module resolution hooks (ES modules) for job files: 'sluice' and 'sluice/…' lead to the engine that runs the job,
// by the rule in engine-resolution.mjs. The file found is resolved once more through the chain, so the TypeScript
// loader sees it as it sees any other file. Every resolution is also noted (see module-needs.mjs): what worker threads
// will need to load the same modules.
import { pathToFileURL } from 'node:url';
import { engineEntry, fromSources } from './engine-resolution.mjs';
import { noteEngineFallback, noteResolved } from './module-needs.mjs';

/** `data.needs`: the shared flags of module-needs.mjs, set from this (the loader's) thread. */
export function initialize(data) {
  if (data?.needs !== undefined) globalThis[Symbol.for('sluice.moduleNeeds')] = new Int32Array(data.needs);
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await resolveWithEngine(specifier, context, nextResolve);
  noteResolved(specifier, context.parentURL, resolved.url, context.importAttributes?.type === 'json');
  return resolved;
}

async function resolveWithEngine(specifier, context, nextResolve) {
  const engine = engineEntry(specifier);
  if (engine !== undefined && fromSources) return nextResolve(pathToFileURL(engine).href, context);
  try {
    return await nextResolve(specifier, context);
  } catch (e) {
    if (engine === undefined || e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    noteEngineFallback();
    return nextResolve(pathToFileURL(engine).href, context);
  }
}
