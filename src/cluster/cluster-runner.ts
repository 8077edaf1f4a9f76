/**
 * One process of a cluster job. Every process started with the same job id joins the job's Kafka consumer group;
 * the group's leader assigns the job's tasks (see assignment.ts) and each process runs the tasks it was given, each
 * as a job of its own with its checkpoints in the shared state directory, all of them hosted on a fixed set of
 * worker threads (one per core by default, see WorkerHost). When a process dies or
 * joins, Kafka rebalances the group: tasks that move stop where they are in one process and restore from their
 * latest checkpoint in another. Exactly-once holds across moves because a task's output, its repartition writes
 * and its input positions all commit with its checkpoints (Kafka transactions, see repartition.ts), and a task's
 * transactional ids go with it, so its new owner fences the old one.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sleep } from '../connectors/kafka/client.js';
import type { JobPlan } from '../plan/job-plan.js';
import type { CheckpointConfig } from '../runtime/checkpoint/checkpoint-coordinator.js';
import { type PlanSpec, type RunOptions, runPlan } from '../runtime/job-runner.js';
import { WorkerHost } from '../runtime/worker-host.js';
import { assignTasks } from './assignment.js';
import { ClusterAdmin } from './cluster-admin.js';
import { GroupMember } from './group-membership.js';
import { claimJobIdentity } from './job-identity.js';
import {
  allTasks,
  type ClusterPlan,
  planCluster,
  sourceTopics,
  type TaskId,
  taskName,
  taskPlan,
} from './stage-plan.js';
import { taskPlanSpec } from './task-plan-loader.js';

export interface ClusterRunOptions {
  /** Bootstrap brokers ("host:port", comma-separated). */
  readonly brokers: string;
  /** Names the job: every process started with the same id works on the same job. */
  readonly jobId: string;
  /**
   * Where the tasks' checkpoints live; every process of the job must see the same directory. Default:
   * `<temp dir>/sluice-cluster/<Kafka cluster id>/<job id>` (processes on one machine). Each incarnation of the job
   * (its file and arguments, and the ids of its input topics) has a subdirectory of its own.
   */
  readonly stateDir?: string;
  /** The job file and arguments, recorded in the state directory (see job-identity.ts). */
  readonly fingerprint: string;
  /** Checkpointing of each task. */
  readonly checkpoint: Omit<CheckpointConfig, 'dir'>;
  /** How long the group waits for a silent process before moving its tasks. Default 10 000 ms. */
  readonly sessionTimeoutMs?: number;
  /** Tasks of stages that read only repartition topics. Default: the most partitions of a source topic. */
  readonly tasksPerStage?: number;
  /**
   * How worker threads rebuild the job (its file, arguments and overrides, as the process built `plan`). Without it
   * every task runs on this process's main thread.
   */
  readonly spec?: PlanSpec;
  /**
   * Worker threads that host this process's tasks (each task is a run of its own; a thread hosts several). Default:
   * the cores the process may use (`os.availableParallelism()`). 0 runs every task on the main thread.
   */
  readonly threads?: number;
  /** Reports every completed task checkpoint through `log`. */
  readonly verbose?: boolean;
  /** Stops this process's tasks and leaves the group. */
  readonly signal?: AbortSignal;
  readonly log: (line: string) => void;
}

export interface ClusterResult {
  /** True when the process stopped through its signal rather than because the whole job finished. */
  readonly cancelled: boolean;
}

/**
 * Runs this process's share of a cluster job. Resolves when every task of a bounded job has finished (whichever
 * process ran it) or when the signal stops this process.
 *
 * @throws the error of a task that keeps failing (5 failures within 2 minutes), or a configuration error.
 */
export async function runCluster(plan: JobPlan, options: ClusterRunOptions): Promise<ClusterResult> {
  const admin = await ClusterAdmin.connect(options.brokers);
  let cluster: ClusterPlan;
  let stateDir: string;
  let taskSpec: ((id: TaskId) => PlanSpec) | undefined;
  try {
    const topics = sourceTopics(plan);
    const { clusterId, partitions, topicIds } = await admin.describe(topics);
    const planOptions = {
      brokers: options.brokers,
      partitions,
      ...(options.tasksPerStage !== undefined ? { defaultTasks: options.tasksPerStage } : {}),
    };
    planCluster(plan, { ...planOptions, jobId: options.jobId }); // a job cluster mode cannot run leaves no state
    const root = resolve(options.stateDir ?? join(tmpdir(), 'sluice-cluster', clusterId, options.jobId));
    // One incarnation of the job per (file and arguments, input topics): the same command resumes, while changed
    // arguments or an input topic created anew start over instead of resuming from positions that mean nothing.
    const incarnation = `${options.fingerprint}\n${topics.map((t) => `${t}=${topicIds.get(t)}`).join('\n')}`;
    stateDir = join(root, createHash('sha256').update(incarnation).digest('hex').slice(0, 12));
    const identity = await claimJobIdentity(stateDir, options.jobId, incarnation);
    const jobId = `${options.jobId}-${identity.instance}`;
    cluster = planCluster(plan, { ...planOptions, jobId });
    const spec = options.spec;
    if (spec !== undefined) {
      const common = {
        job: spec,
        name: plan.name,
        brokers: options.brokers,
        jobId,
        partitions: [...partitions],
        defaultTasks: options.tasksPerStage,
      };
      taskSpec = (id) => taskPlanSpec(common, id);
    }
    await admin.ensureTopics(cluster.edges.map((e) => e.topic));
  } finally {
    await admin.close();
  }
  const tasks = allTasks(cluster);
  const threads = taskSpec === undefined ? 0 : (options.threads ?? availableParallelism());
  options.log(
    `cluster job ${options.jobId}: ${cluster.stages.length} stage(s), ${tasks.length} tasks, ` +
      `${threads === 0 ? 'on the main thread' : `on ${threads} worker thread(s)`}, state in ${stateDir}`,
  );
  const host = threads === 0 ? undefined : new WorkerHost(threads);
  try {
    const hosting = host === undefined || taskSpec === undefined ? undefined : { host, spec: taskSpec };
    return await new ClusterProcess(cluster, tasks, stateDir, options, hosting).run();
  } finally {
    await host?.close();
  }
}

interface RunningTask {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 120_000;

class ClusterProcess {
  private readonly byName: Map<string, TaskId>;
  private readonly running = new Map<string, RunningTask>();
  /** Tasks aborted here whose run has not returned yet: a new run of the same task waits for it. */
  private readonly stopping = new Map<string, Promise<void>>();
  private readonly failures = new Map<string, number[]>();
  private failure: unknown;
  /** Set once this process is on its way out: assignments arriving meanwhile are ignored. */
  private leaving = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly cluster: ClusterPlan,
    tasks: readonly TaskId[],
    private readonly stateDir: string,
    private readonly options: ClusterRunOptions,
    /** Where tasks run when not on the main thread: the host's threads, each rebuilding its task from its spec. */
    private readonly hosting: { host: WorkerHost; spec: (id: TaskId) => PlanSpec } | undefined,
  ) {
    this.byName = new Map(tasks.map((t) => [taskName(t), t]));
  }

  async run(): Promise<ClusterResult> {
    const { signal, log } = this.options;
    const bounded = this.cluster.stages.every((s) => s.bounded);
    const member = new GroupMember({
      brokers: this.cluster.brokers,
      groupId: `sluice-${this.cluster.jobId}`,
      clientId: 'sluice-cluster',
      sessionTimeoutMs: this.options.sessionTimeoutMs ?? 10_000,
      metadata: () => Buffer.from(JSON.stringify({ owned: [...this.running.keys()] })),
      assign: (members) =>
        new Map(
          [...assignTasks([...this.byName.keys()], members.map(parseMember))].map(([id, owned]) => [
            id,
            Buffer.from(JSON.stringify({ owned })),
          ]),
        ),
      onAssignment: (assignment, generation) => this.reconcile(parseAssignment(assignment), generation),
      log: (line) => log(`cluster: ${line}`),
    });
    const onAbort = () => this.wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      await member.start();
      while (signal?.aborted !== true && this.failure === undefined) {
        if (bounded && this.allFinished()) {
          log(`cluster job ${this.options.jobId}: every task has finished`);
          break;
        }
        await new Promise<void>((r) => {
          this.wake = r;
          setTimeout(r, 500);
        });
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // Stop the tasks before leaving, so whoever takes them over finds their checkpoint directories free.
      this.leaving = true;
      await this.stopAll();
      await member.stop();
    }
    if (this.failure !== undefined) throw this.failure;
    return { cancelled: signal?.aborted === true };
  }

  private finishedMarker(name: string): string {
    return join(this.stateDir, name, '_finished');
  }

  private allFinished(): boolean {
    for (const name of this.byName.keys()) if (!existsSync(this.finishedMarker(name))) return false;
    return true;
  }

  /** Applies a new assignment: stops the tasks taken away, starts the tasks given. */
  private reconcile(assigned: readonly string[], generation: number): void {
    if (this.leaving) return;
    const wanted = new Set(assigned.filter((n) => this.byName.has(n)));
    for (const [name, task] of this.running) {
      if (wanted.has(name)) continue;
      task.controller.abort();
      this.running.delete(name);
      this.stopping.set(name, task.done);
      void task.done.finally(() => {
        if (this.stopping.get(name) === task.done) this.stopping.delete(name);
      });
    }
    for (const name of wanted) if (!this.running.has(name)) this.start(name);
    const mine = [...wanted].sort();
    this.options.log(
      generation < 0
        ? 'cluster: lost membership of the group; stopped all tasks until it rejoins'
        : `cluster: generation ${generation}: this process runs ${mine.length === 0 ? 'no task' : mine.join(', ')}`,
    );
  }

  private start(name: string): void {
    const controller = new AbortController();
    const previous = this.stopping.get(name) ?? Promise.resolve();
    const done = previous.then(() => this.runTask(this.byName.get(name)!, controller.signal));
    this.running.set(name, { controller, done });
  }

  /** Runs a task until it finishes or is stopped; restarts it after failures. */
  private async runTask(id: TaskId, signal: AbortSignal): Promise<void> {
    const name = taskName(id);
    const log = (line: string) => this.options.log(`${name}: ${line}`);
    while (!signal.aborted) {
      if (existsSync(this.finishedMarker(name))) return;
      try {
        const where: Partial<RunOptions> =
          this.hosting === undefined
            ? // Tasks of a process are built from the same plan nodes: each needs its own function objects.
              { copyFunctions: true }
            : // A worker thread builds the task's plan (and its function objects) anew.
              { workerHost: this.hosting.host, spec: this.hosting.spec(id) };
        const result = await runPlan(taskPlan(this.cluster, id), {
          threads: 1,
          signal,
          ...where,
          // This loop restarts a failed task itself (and may move it to another process).
          restartStrategy: { type: 'none' },
          checkpoint: { ...this.options.checkpoint, intervalMs: this.intervalOf(id), dir: join(this.stateDir, name) },
          log,
          ...(this.options.verbose === true
            ? { onCheckpoint: (c) => log(`checkpoint ${c.id}${c.final ? ' (final)' : ''}: ${c.durationMs} ms`) }
            : {}),
        });
        if (result.cancelled || signal.aborted) return;
        await writeFile(this.finishedMarker(name), `${new Date().toISOString()}\n`);
        log('finished');
        return;
      } catch (e) {
        if (signal.aborted) return;
        const message = e instanceof Error ? e.message : String(e);
        // The previous owner of a moved task may still be closing it: not a failure of the task.
        const busy = message.includes('is in use by another job');
        if (!busy && this.countFailure(name)) {
          log(`failed ${MAX_FAILURES} times within ${FAILURE_WINDOW_MS / 1000} s; stopping this process`);
          this.failure = e;
          this.wake?.();
          return;
        }
        log(busy ? 'waiting for its previous owner to stop' : `failed: ${message}; restarting in 1 s`);
        await sleep(busy ? 200 : 1000);
      }
    }
  }

  /**
   * A task's checkpoint interval. Records that cross a repartition topic become visible downstream only when the
   * upstream task commits, and results only when the downstream task commits too: tasks feeding a repartition topic
   * therefore checkpoint twice as often, so that the two commits together wait about one interval, not two.
   */
  private intervalOf(id: TaskId): number {
    const interval = this.options.checkpoint.intervalMs;
    return this.cluster.edges.some((e) => e.from === id.stage) ? Math.max(50, Math.round(interval / 2)) : interval;
  }

  /** Records a failure; true when the task failed too often. */
  private countFailure(name: string): boolean {
    const now = Date.now();
    const recent = (this.failures.get(name) ?? []).filter((t) => now - t < FAILURE_WINDOW_MS);
    recent.push(now);
    this.failures.set(name, recent);
    return recent.length >= MAX_FAILURES;
  }

  private async stopAll(): Promise<void> {
    const all = [...this.running.values()];
    for (const t of all) t.controller.abort();
    this.running.clear();
    await Promise.allSettled([...all.map((t) => t.done), ...this.stopping.values()]);
  }
}

function parseMember(m: { memberId: string; metadata: Buffer }): { memberId: string; owned: string[] } {
  return { memberId: m.memberId, owned: parseAssignment(m.metadata) };
}

/** Member metadata and assignments are JSON `{ owned: [task names] }`; anything else counts as no tasks. */
function parseAssignment(bytes: Buffer): string[] {
  if (bytes.length === 0) return [];
  try {
    const owned = (JSON.parse(bytes.toString('utf8')) as { owned?: unknown }).owned;
    return Array.isArray(owned) ? owned.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}
