/**
 * How a worker thread rebuilds a cluster task's plan: it loads the job as the CLI did (the job's own loader), cuts
 * it into stages exactly as the process that started the task did (same partition counts, same job id), and takes
 * the task's plan. Cutting is deterministic, so the worker's nodes, uids and vertices are the coordinator's.
 */
import type { JobPlan } from '../plan/job-plan.js';
import type { PlanSpec } from '../runtime/job-runner.js';
import { planCluster, type TaskId, taskPlan } from './stage-plan.js';

/** What a task's plan spec carries in `overrides.clusterTask`. */
interface ClusterTaskSpec {
  /** The job's own spec (its loader builds the whole plan). */
  readonly job: PlanSpec;
  /** The name the process gave the plan (the job file's name). */
  readonly name: string;
  readonly brokers: string;
  /** The job id with its incarnation's instance. */
  readonly jobId: string;
  readonly partitions: readonly (readonly [string, number])[];
  readonly defaultTasks: number | undefined;
  readonly task: TaskId;
}

/** URL of this module, the `loader` of task plan specs. */
export const TASK_LOADER_URL = import.meta.url;

/** A plan spec from which a worker thread rebuilds task `task` of the cluster job. */
export function taskPlanSpec(spec: Omit<ClusterTaskSpec, 'task'>, task: TaskId): PlanSpec {
  const clusterTask: ClusterTaskSpec = { ...spec, task: { stage: task.stage, task: task.task } };
  return { loader: TASK_LOADER_URL, job: spec.job.job, args: spec.job.args, overrides: { clusterTask } };
}

/** Called in a worker thread (see PlanSpec): the task's plan. @throws when the spec is not a task spec. */
export async function loadJobPlan(spec: PlanSpec): Promise<JobPlan> {
  const t = spec.overrides.clusterTask as ClusterTaskSpec | undefined;
  if (t === undefined) throw new Error(`${spec.job}: not a cluster task's plan spec (no overrides.clusterTask)`);
  // The job's loader is the API layer's; it is imported by URL, as worker threads import it for any job.
  const loader = (await import(t.job.loader)) as {
    loadJobEnvironment(spec: PlanSpec): Promise<{ buildPlan(name?: string): JobPlan }>;
  };
  const plan = (await loader.loadJobEnvironment(t.job)).buildPlan(t.name);
  const cluster = planCluster(plan, {
    brokers: t.brokers,
    jobId: t.jobId,
    partitions: new Map(t.partitions),
    ...(t.defaultTasks !== undefined ? { defaultTasks: t.defaultTasks } : {}),
  });
  return taskPlan(cluster, t.task);
}
