import type { Span } from '../../parser/ast.js';

/** Placeholder until the function registry is merged: calls an async scalar function once per argument list. */
export async function evaluateAsyncBatch(
  definition: { readonly name: string },
  argLists: readonly (readonly unknown[])[],
  options: { timeoutMs?: number; concurrency?: number; span?: Span } = {},
): Promise<unknown[]> {
  throw new Error(`async functions not merged yet (${definition.name}, ${argLists.length}, ${options.span?.line})`);
}
