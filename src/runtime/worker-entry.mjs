// Worker threads start here: make job files loadable (see register-loaders.mjs), then run the worker. This file is
// copied unchanged to dist/; './worker-main.js' is the compiled file there and, through tsx, worker-main.ts in the
// sources.
import './register-loaders.mjs';

await import('./worker-main.js');
