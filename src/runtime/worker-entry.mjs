// Worker threads start here: make job files loadable (see register-loaders.mjs) unless the job needs no loader
// (`workerData.plain`, see module-needs.mjs: plain Node then loads the same modules, several times faster), then run
// the worker. This file is copied unchanged to dist/; './worker-main.js' is the compiled file there and, through
// tsx, worker-main.ts in the sources (which always need the loaders).
import { workerData } from 'node:worker_threads';

if (workerData?.plain !== true) await import('./register-loaders.mjs');
await import('./worker-main.js');
