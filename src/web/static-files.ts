import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** A static file to answer with. */
export interface StaticFile {
  body: Buffer;
  type: string;
}

async function fileIn(root: string, relativePath: string): Promise<string | undefined> {
  const candidate = resolve(root, `.${sep}${relativePath}`);
  try {
    // Symlinks are followed and the target must still lie inside the root, so no link leads out of it.
    const real = await realpath(candidate);
    if (real !== root && !real.startsWith(root + sep)) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The dashboard's static files from `dir`: the file a GET path names, or `index.html` for paths that name no file
 * and have no extension other than `.html` (the single-page app routes them itself). Paths that would leave `dir`
 * (`..`, symlinks out) name no file. Returns undefined when there is nothing to serve.
 */
export async function staticFile(dir: string, urlPath: string): Promise<StaticFile | undefined> {
  const root = await realpath(dir).catch(() => undefined);
  if (root === undefined) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]!);
  } catch {
    return undefined;
  }
  if (path.includes('\0')) return undefined;
  let file = await fileIn(root, path.endsWith('/') ? join(path, 'index.html') : path);
  const ext = extname(path);
  if (file === undefined && (ext === '' || ext === '.html')) file = await fileIn(root, 'index.html');
  if (file === undefined) return undefined;
  return { body: await readFile(file), type: TYPES[extname(file)] ?? 'application/octet-stream' };
}
