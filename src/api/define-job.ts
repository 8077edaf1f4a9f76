import type { StreamExecutionEnvironment } from './environment.js';

/**
 * A job definition: a function that builds the job on the environment it is given, from the job's own arguments
 * (what follows `--` on the command line). It must build the same plan every time it is called with the same
 * arguments: every worker thread calls it to rebuild the plan. Side effects belong in operators' `open()`.
 */
export interface JobDefinition {
  readonly kind: 'sluice.job';
  readonly build: (env: StreamExecutionEnvironment, args: readonly string[]) => void | Promise<void>;
}

/** Declares the default export of a job file: `export default defineJob((env, args) => { ... })`. */
export function defineJob(
  build: (env: StreamExecutionEnvironment, args: readonly string[]) => void | Promise<void>,
): JobDefinition {
  return { kind: 'sluice.job', build };
}
