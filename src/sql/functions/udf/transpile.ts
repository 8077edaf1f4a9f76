import { createRequire } from 'node:module';

type TransformSync = (
  code: string,
  options: { loader: 'ts' | 'js'; format?: 'esm' | 'cjs'; target?: string },
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

/** Where esbuild finds the first syntax error in `source`: 1-based line and column, and its text. */
export interface SyntaxErrorLocation {
  readonly line: number;
  readonly column: number;
  readonly text: string;
}

/**
 * The first syntax error of a transform that failed (`error` is what esbuild threw), or of `source` read as
 * `loader` (JavaScript's own SyntaxError does not say where); undefined when there is none to report.
 */
export function syntaxErrorLocation(
  error: unknown,
  source?: string,
  loader: 'ts' | 'js' = 'js',
): SyntaxErrorLocation | undefined {
  let failure = error;
  if (source !== undefined && !hasEsbuildErrors(failure)) {
    try {
      esbuildTransform()(source, { loader, target: 'es2022' });
      return undefined;
    } catch (e) {
      failure = e;
    }
  }
  if (!hasEsbuildErrors(failure)) return undefined;
  const first = failure.errors[0];
  if (first?.location == null) return undefined;
  return { line: first.location.line, column: first.location.column + 1, text: first.text };
}

function hasEsbuildErrors(
  e: unknown,
): e is { errors: { text: string; location?: { line: number; column: number } | null }[] } {
  return typeof e === 'object' && e !== null && Array.isArray((e as { errors?: unknown }).errors);
}
