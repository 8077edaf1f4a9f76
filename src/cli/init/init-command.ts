import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectFiles } from './templates.js';

interface OwnManifest {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** The root of this package (the directory of its package.json), the same from src/ and from dist/. */
const packageRoot = realpathSync(fileURLToPath(new URL('../../../', import.meta.url)));

/**
 * `sluice init DIR`: writes a new project into DIR (which must be missing or empty) and prints what to run next.
 * The project depends on the sluice this command belongs to (see {@link sluiceDependency}) unless `sluice` is given.
 */
export function initCommand(dir: string, opts: { sluice?: string; name?: string }): number {
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0) {
    process.stderr.write(
      `error: ${target} is not empty: sluice init writes a new project into a missing or empty directory\n`,
    );
    return 1;
  }
  const own = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as OwnManifest;
  const files = projectFiles({
    name: opts.name ?? packageName(basename(target)),
    sluiceSpec: opts.sluice ?? sluiceDependency(own.version),
    tsxVersion: own.dependencies.tsx!,
    typescriptVersion: own.devDependencies.typescript!,
    nodeTypesVersion: own.devDependencies['@types/node']!,
  });
  for (const [file, text] of Object.entries(files)) {
    const path = join(target, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  process.stdout.write(
    `Created a Sluice project in ${target}. Next:\n  cd ${dir}\n  npm install && npm start\n  npm test\n`,
  );
  return 0;
}

/**
 * How the new project depends on sluice: the same package this command runs from. Installed from a registry, that
 * is its version range; installed from a tarball or a directory (recorded in the installing project's
 * package-lock.json as `file:`), the same file by absolute path; run from a checkout, that checkout.
 */
export function sluiceDependency(version: string): string {
  const parent = dirname(packageRoot);
  if (basename(parent) !== 'node_modules') return `file:${packageRoot}`;
  const project = dirname(parent);
  const resolved = lockedSource(join(project, 'package-lock.json'));
  if (resolved?.startsWith('file:')) return `file:${resolve(project, resolved.slice('file:'.length))}`;
  return `^${version}`;
}

/** The `resolved` field of node_modules/sluice in a lockfile, if the lockfile exists and has it. */
function lockedSource(lockfile: string): string | undefined {
  if (!existsSync(lockfile)) return undefined;
  try {
    const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as { packages?: Record<string, { resolved?: string }> };
    return lock.packages?.['node_modules/sluice']?.resolved;
  } catch {
    return undefined; // an unreadable lockfile only means the registry version is used
  }
}

/** A valid npm package name from a directory name. */
function packageName(dir: string): string {
  const name = dir
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '');
  return name === '' ? 'sluice-job' : name;
}
