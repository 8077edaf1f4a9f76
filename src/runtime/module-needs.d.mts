// Types of module-needs.mjs for the TypeScript modules that read it.

/** The entry points evaluated before a job loads. */
export const PRELOADED: readonly string[];
/** Starts noting in this thread; returns the shared buffer to hand to the loader thread's hooks. */
export function startNoting(): SharedArrayBuffer;
/** Notes that `specifier` (imported or required from `parent`) was resolved to `url`. */
export function noteResolved(
  specifier: string,
  parent: string | undefined,
  url: unknown,
  jsonAttribute?: boolean,
): void;
/** Notes that 'sluice…' was routed to the running engine. */
export function noteEngineFallback(): void;
/** Forgets the entry points noted so far. */
export function forgetEntries(): void;
/** Whether worker threads may load this thread's job without any loader; false when nothing was noted. */
export function plainNodeSuffices(): boolean;
/** The entry points a thread loading the job again must evaluate first. */
export function entriesToPreload(): readonly string[];
