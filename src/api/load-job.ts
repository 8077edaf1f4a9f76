import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PlanError } from '../core/errors.js';
import type { JobConfig, JobPlan } from '../plan/job-plan.js';
import type { PlanSpec } from '../runtime/job-runner.js';
import type { JobDefinition } from './define-job.js';
import { StreamExecutionEnvironment } from './environment.js';

// A .cts job is loaded with require(): TypeScript loading through import() gives a CommonJS module whose own
// require() of an ES module (this package) fails on Node 20.
const require = createRequire(import.meta.url);

/** URL of this module: worker threads import it to rebuild a job's plan. */
export const LOADER_URL = import.meta.url;

/**
 * Imports a job module and returns its job definition. An ES module's default export; a CommonJS module's
 * `module.exports` (`module.exports = defineJob(...)`) or its `exports.default` (what TypeScript compiles
 * `export default defineJob(...)` to in a CommonJS project).
 */
export async function importJob(jobUrl: string): Promise<JobDefinition> {
  const mod = (jobUrl.endsWith('.cts') ? { default: require(fileURLToPath(jobUrl)) } : await import(jobUrl)) as {
    default?: unknown;
  };
  const candidates = [mod.default, (mod.default as { default?: unknown } | undefined)?.default];
  const def = candidates.find(isJobDefinition);
  if (def === undefined) {
    throw new PlanError(
      `${fileURLToPath(jobUrl)}: the job file must 'export default defineJob((env, args) => { ... })' (imported from 'sluice')`,
    );
  }
  return def;
}

function isJobDefinition(x: unknown): x is JobDefinition {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'sluice.job';
}

/** Builds the environment of a job from its spec, with the plan spec set so it can run on worker threads. */
export async function loadJobEnvironment(spec: PlanSpec): Promise<StreamExecutionEnvironment> {
  const def = await importJob(spec.job);
  const env = StreamExecutionEnvironment.create();
  // Before build: a job may plan by the effective configuration (SQL reads the runtime mode).
  env.applyOverrides(spec.overrides as Partial<JobConfig>);
  await def.build(env, spec.args);
  env.planSpec = spec;
  return env;
}

/** Called in every worker thread: rebuilds the same plan as the coordinator. */
export async function loadJobPlan(spec: PlanSpec): Promise<JobPlan> {
  return (await loadJobEnvironment(spec)).buildPlan();
}

/** A plan spec for a job file path. */
export function jobSpec(file: string, args: readonly string[], overrides: Partial<JobConfig>): PlanSpec {
  return { loader: LOADER_URL, job: pathToFileURL(file).href, args, overrides };
}
