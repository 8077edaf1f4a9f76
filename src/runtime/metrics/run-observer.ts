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
  /** The run ended (after any restarts). */
  onEnd?(outcome: RunOutcome, time: number): void;
}
