// Module resolution hooks (ES modules) for job files: 'sluice' and 'sluice/…' lead to the engine that runs the job,
// by the rule in engine-resolution.mjs. The file found is resolved once more through the chain, so the TypeScript
// loader sees it as it sees any other file.
import { pathToFileURL } from 'node:url';
import { engineEntry, fromSources } from './engine-resolution.mjs';

export async function resolve(specifier, context, nextResolve) {
  const engine = engineEntry(specifier);
  if (engine !== undefined && fromSources) return nextResolve(pathToFileURL(engine).href, context);
  try {
    return await nextResolve(specifier, context);
  } catch (e) {
    if (engine === undefined || e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    return nextResolve(pathToFileURL(engine).href, context);
  }
}
