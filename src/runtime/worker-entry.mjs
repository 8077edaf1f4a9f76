// Worker threads start here: enable TypeScript loading (job files are .ts), then run the worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
