import type { Span } from '../../parser/ast.js';
import type { UserScalarFunction } from './user-function.js';

/** An async user function did not answer in time, or rejected. Names the function and the SQL position. */
export class AsyncFunctionError extends Error {
  override name = 'AsyncFunctionError';
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_CONCURRENCY = 16;

/**
 * Calls an async scalar function once per argument list with at most `concurrency` calls in flight (default from
 * the function's options, else 16), each bounded by `timeoutMs` (default 10 s). Results are in input order; a NULL
 * argument gives NULL without a call unless the function takes NULLs. The first failure or timeout rejects the
 * whole batch with an {@link AsyncFunctionError} naming the function and the SQL position; calls not yet started
 * are not started. Meant for the async I/O operator: one Promise per batch, never one per record downstream.
 */
export async function evaluateAsyncBatch(
  definition: UserScalarFunction,
  argLists: readonly (readonly unknown[])[],
  options: { timeoutMs?: number; concurrency?: number; span?: Span } = {},
): Promise<unknown[]> {
  const timeoutMs = options.timeoutMs ?? definition.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const concurrency = Math.max(1, options.concurrency ?? definition.options.concurrency ?? DEFAULT_CONCURRENCY);
  const where = options.span === undefined ? '' : ` (line ${options.span.line}, column ${options.span.column})`;
  const results: unknown[] = new Array(argLists.length).fill(null);
  let next = 0;
  let failed: unknown;

  const callOne = (args: readonly unknown[]): Promise<unknown> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new AsyncFunctionError(`async function '${definition.name}'${where} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    const call = (async () => definition.call(...args))().catch((e: unknown) => {
      throw new AsyncFunctionError(
        `async function '${definition.name}'${where} failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    });
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  };

  const worker = async (): Promise<void> => {
    while (failed === undefined && next < argLists.length) {
      const i = next++;
      const args = argLists[i] as readonly unknown[];
      if (definition.strict && args.some((a) => a === null || a === undefined)) continue;
      try {
        const v = await callOne(args);
        results[i] = v === undefined ? null : v;
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, argLists.length) }, worker));
  if (failed !== undefined) throw failed;
  return results;
}
