/**
 * Results of collect sinks on this thread, per execution and sink id. Worker threads hand theirs to the coordinator
 * when they finish; on the main thread the coordinator reads them directly. Keeping executions apart lets jobs run
 * side by side in one process, and a failed run's records are discarded, never seen by a later run.
 */
const collected = new Map<string, Map<string, unknown[]>>();

export function collectInto(executionId: string, sinkId: string, values: readonly unknown[]): void {
  let run = collected.get(executionId);
  if (run === undefined) {
    run = new Map();
    collected.set(executionId, run);
  }
  let list = run.get(sinkId);
  if (list === undefined) {
    list = [];
    run.set(sinkId, list);
  }
  for (const v of values) list.push(v);
}

/** Removes and returns what one execution collected on this thread. */
export function drainCollected(executionId: string): Record<string, unknown[]> {
  const run = collected.get(executionId);
  collected.delete(executionId);
  return run === undefined ? {} : Object.fromEntries(run);
}
