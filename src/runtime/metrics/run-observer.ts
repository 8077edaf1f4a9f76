import type { ScalingDecision } from '../autoscaler/autoscaler.js';
import type { CheckpointStats } from '../checkpoint/checkpoint-coordinator.js';
import type { WireError } from '../errors-wire.js';
import type { ExecutionGraph } from '../execution-graph.js';
import type { SubtaskSample } from './subtask-sample.js';

/** How a run ended, as the observer is told. */
export type RunOutcome =
  | { readonly state: 'FINISHED' | 'CANCELED' }
  | { readonly state: 'FAILED'; readonly error: WireError };

/**
 * Watches one run of a job (all its attempts) without taking part in it: the job monitor implements it. Every call
 * comes on the coordinating thread; none may throw or block (the runner does not guard them).
 */
export interface RunObserver {
  /** The execution graph is built; the run is about to restore and start its first attempt. */
  onGraph?(graph: ExecutionGraph): void;
  /** Attempt `attempt` (1-based) started processing. */
  onAttemptStarted?(attempt: number): void;
  /** Figures of subtasks of the current attempt (cumulative within the attempt), about once a second and at its end. */
  onSamples?(samples: readonly SubtaskSample[]): void;
  /** Checkpoint `id` was started. */
  onCheckpointTriggered?(id: number, time: number): void;
  onCheckpointCompleted?(stats: CheckpointStats): void;
  /** Checkpoint `id` timed out and was abandoned. */
  onCheckpointAbandoned?(id: number, time: number): void;
  /** An attempt failed and the run restarts after `delayMs`. */
  onRestart?(error: WireError, time: number): void;
  /** The autoscaler decided (see `autoscaler/`); a decision to rescale is followed by a new graph and attempt. */
  onScalingDecision?(decision: ScalingDecision): void;
  /** The run ended (after any restarts). */
  onEnd?(outcome: RunOutcome, time: number): void;
}

const OBSERVER_METHODS = [
  'onGraph',
  'onAttemptStarted',
  'onSamples',
  'onCheckpointTriggered',
  'onCheckpointCompleted',
  'onCheckpointAbandoned',
  'onRestart',
  'onScalingDecision',
  'onEnd',
] as const satisfies readonly (keyof RunObserver)[];

/** One observer that tells `a`, then `b` (either may be absent). */
export function watchedBoth(a: RunObserver | undefined, b: RunObserver | undefined): RunObserver | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  const both: Record<string, (...args: unknown[]) => void> = {};
  for (const key of OBSERVER_METHODS) {
    const fa = a[key] as ((...args: unknown[]) => void) | undefined;
    const fb = b[key] as ((...args: unknown[]) => void) | undefined;
    if (fa === undefined && fb === undefined) continue;
    both[key] = (...args) => {
      fa?.apply(a, args);
      fb?.apply(b, args);
    };
  }
  return both as RunObserver;
}
