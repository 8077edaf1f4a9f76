import { pathToFileURL } from 'node:url';
import { PlanError } from '../core/errors.js';
import type { JobConfig, JobPlan } from '../plan/job-plan.js';
import type { PlanSpec } from '../runtime/job-runner.js';
import type { JobDefinition } from './define-job.js';
import { StreamExecutionEnvironment } from './environment.js';

/** URL of this module: worker threads import it to rebuild a job's plan. */
export const LOADER_URL = import.meta.url;

/** Imports a job module and checks that its default export is a job definition. */
export async function importJob(jobUrl: string): Promise<JobDefinition> {
  const mod = (await import(jobUrl)) as { default?: JobDefinition };
  const def = mod.default;
  if (def === undefined || def.kind !== 'sluice.job') {
    throw new PlanError(
      `${jobUrl}: the job file must 'export default defineJob((env, args) => { ... })' (imported from 'sluice')`,
    );
  }
  return def;
}

/** Builds the environment of a job from its spec, with the plan spec set so it can run on worker threads. */
export async function loadJobEnvironment(spec: PlanSpec): Promise<StreamExecutionEnvironment> {
  const def = await importJob(spec.job);
  const env = StreamExecutionEnvironment.create();
  await def.build(env, spec.args);
  env.applyOverrides(spec.overrides as Partial<JobConfig>);
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
