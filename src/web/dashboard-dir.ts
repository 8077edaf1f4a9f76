import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The folder of the dashboard's built files (the one holding `index.html`), to pass to the REST server as
 * `staticDir`: `dist/web-ui` beside the compiled engine in the published package (built by `npm pack`), or
 * `web-ui/dist` in a checkout after `npm run build:ui`. Undefined when neither is built; the API still works then,
 * only the dashboard's pages answer 404.
 */
export function dashboardDir(): string | undefined {
  // This file is src/web/dashboard-dir.ts in a checkout and dist/web/dashboard-dir.js in the package.
  const candidates = [new URL('../web-ui/', import.meta.url), new URL('../../web-ui/dist/', import.meta.url)];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(`${dir}index.html`)) return dir.replace(/[\\/]$/, '');
  }
  return undefined;
}
