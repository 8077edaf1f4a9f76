/**
 * Results of collect sinks on this thread, by sink id. Worker threads hand theirs to the coordinator when they
 * finish; on the main thread the coordinator reads them directly.
 */
const collected = new Map<string, unknown[]>();

export function collectInto(sinkId: string, values: readonly unknown[]): void {
  let list = collected.get(sinkId);
  if (list === undefined) {
    list = [];
    collected.set(sinkId, list);
  }
  for (const v of values) list.push(v);
}

/** Removes and returns everything collected on this thread. */
export function drainCollected(): Record<string, unknown[]> {
  const out = Object.fromEntries(collected);
  collected.clear();
  return out;
}
