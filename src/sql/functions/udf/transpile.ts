import { createRequire } from 'node:module';

type TransformSync = (
  code: string,
  options: { loader: 'ts'; format?: 'esm' | 'cjs'; target?: string },
) => { code: string };

let transform: TransformSync | undefined;

/**
 * esbuild's `transformSync`, found synchronously so CREATE FUNCTION ... LANGUAGE TYPESCRIPT needs no async step.
 * esbuild is not a direct dependency: it comes with tsx (a dependency of Sluice). It is resolved first from here
 * (npm hoists it next to Sluice) and else from tsx's own location (an installation that nests it under tsx).
 */
function esbuildTransform(): TransformSync {
  if (transform !== undefined) return transform;
  const here = createRequire(import.meta.url);
  let esbuild: { transformSync: TransformSync };
  try {
    esbuild = here('esbuild') as typeof esbuild;
  } catch {
    const fromTsx = createRequire(here.resolve('tsx'));
    esbuild = fromTsx('esbuild') as typeof esbuild;
  }
  transform = esbuild.transformSync;
  return transform;
}

/** TypeScript source → JavaScript (types stripped, nothing bundled). Throws esbuild's error, which names the line. */
export function transpileTypeScript(source: string): string {
  return esbuildTransform()(source, { loader: 'ts', target: 'es2022' }).code;
}
