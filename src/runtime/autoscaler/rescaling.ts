import type { JobPlan } from '../../plan/job-plan.js';
import type { CheckpointCoordinator } from '../checkpoint/checkpoint-coordinator.js';
import type { ExecutionGraph } from '../execution-graph.js';
import type { RunOptions } from '../job-runner.js';
import { watchedBoth } from '../metrics/run-observer.js';
import { Autoscaler } from './autoscaler.js';

/** What a running attempt lets others do to it (filled in by the attempt). */
export interface AttemptControl {
  /** Takes a checkpoint and stops the attempt right after it (its result has `rescaledAt`). */
  stopForRescale?: () => Promise<void>;
}

/**
 * Waits for the checkpoint in flight (or takes one), stops checkpointing and calls `stop` with its id: how an attempt
 * is stopped to rescale. Does nothing when the checkpoint was the job's final one (the job ended by itself).
 */
export function stopAfterCheckpoint(
  coordinator: CheckpointCoordinator | undefined,
  stop: (checkpointId: number) => void,
): () => Promise<void> {
  return async () => {
    if (coordinator === undefined) throw new Error('the run takes no checkpoints');
    const { id } = await coordinator.nextComplete();
    if (coordinator.finished) return;
    await coordinator.stop();
    stop(id);
  };
}

/** A run's autoscaler and what it changes about the run's attempts. */
export interface Rescaling {
  readonly autoscaler: Autoscaler;
  readonly control: AttemptControl;
  rescales: number;
  /** The options of an attempt of `plan`: threads enough for its highest parallelism, the autoscaler watching. */
  optionsFor(plan: JobPlan, graph: ExecutionGraph): RunOptions;
  /** The parallelism a requested rescale asked for (once), if one was requested. */
  takeRescale(): Record<string, number> | undefined;
}

/**
 * The autoscaler of a run with `options.autoscale`, wired to stop the running attempt when it decides to rescale;
 * undefined without it.
 * @throws Error when the run takes no checkpoints (a rescale restarts from one).
 */
export function rescalingFor(
  graph: ExecutionGraph,
  options: RunOptions,
  log: (line: string) => void,
): Rescaling | undefined {
  const o = options.autoscale;
  if (o === undefined) return undefined;
  if (options.checkpoint === undefined) {
    throw new Error('autoscaling needs checkpointing: every rescale restarts the job from a checkpoint');
  }
  const control: AttemptControl = {};
  let requested: Record<string, number> | undefined;
  const autoscaler = new Autoscaler(o, {
    log,
    onDecision: (d) => options.observer?.onScalingDecision?.(d),
    rescale: (parallelism) => {
      requested = parallelism;
      control.stopForRescale?.().catch((e: unknown) => {
        requested = undefined;
        log(`autoscaler: rescale not done: ${e instanceof Error ? e.message : String(e)}`);
      });
    },
  });
  autoscaler.onGraph(graph);
  const observer = watchedBoth(options.observer, autoscaler);
  return {
    autoscaler,
    control,
    rescales: 0,
    optionsFor: (p, g) => {
      const overrides = { ...options.spec?.overrides, parallelismByUid: p.config.parallelismByUid };
      const spec = options.spec === undefined ? undefined : { ...options.spec, overrides };
      // One thread per subtask index, as `sluice run` does; without a job module every subtask stays on this one.
      const highest = Math.max(1, ...g.vertices.map((v) => v.parallelism));
      const threads = spec === undefined || options.workerHost !== undefined ? options.threads : highest;
      return { ...options, observer, spec, threads };
    },
    takeRescale: () => {
      const r = requested;
      requested = undefined;
      return r;
    },
  };
}
