import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Splits a module reference `./udfs.ts#name` into the file (relative to `baseDir`) and the export (default when no
 * `#name`). A reference that does not start with '.', '/' or a drive is not a module path (a Java class name).
 */
export function parseModuleReference(
  reference: string,
  baseDir: string,
): { file: string; exportName: string } | undefined {
  const hash = reference.lastIndexOf('#');
  const path = hash < 0 ? reference : reference.slice(0, hash);
  const exportName = hash < 0 ? 'default' : reference.slice(hash + 1);
  const looksLikePath = path.startsWith('.') || isAbsolute(path) || /\.(m|c)?[jt]s$/.test(path);
  if (!looksLikePath) return undefined;
  return { file: isAbsolute(path) ? path : resolve(baseDir, path), exportName };
}

/**
 * Imports a module (TypeScript works where tsx is registered: the `sluice` command and its worker threads, and
 * tests run with `--import tsx`) and returns the export. Throws an Error naming the file and the export.
 */
export async function importModuleExport(file: string, exportName: string): Promise<unknown> {
  if (!existsSync(file)) throw new Error(`module '${file}' does not exist`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`cannot load module '${file}': ${e instanceof Error ? e.message : String(e)}`);
  }
  let value = module[exportName];
  // A CommonJS module's exports arrive as the default export.
  if (value === undefined && exportName !== 'default')
    value = (module.default as Record<string, unknown> | undefined)?.[exportName];
  if (value === undefined) {
    const names = Object.keys(module).join(', ') || 'none';
    throw new Error(`module '${file}' has no export '${exportName}' (exports: ${names})`);
  }
  return value;
}
