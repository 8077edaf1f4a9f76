// Module resolution hooks for job files: 'sluice' and 'sluice/…' that cannot be resolved from a job file (a job kept
// outside any project that installs sluice) resolve to the engine that runs it. A project's own installation wins.

/** @type {string} URL inside the engine's package, from which its own name resolves. */
let engineURL;

export function initialize(data) {
  engineURL = data.engineURL;
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (e) {
    const ours = specifier === 'sluice' || specifier.startsWith('sluice/');
    if (!ours || e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    return nextResolve(specifier, { ...context, parentURL: engineURL });
  }
}
