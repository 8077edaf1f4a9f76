import { deserialize, serialize } from 'node:v8';
import type { Key } from '../../core/key.js';
import type { KeyedStateSnapshot } from '../../state/keyed-state-backend.js';

/** A pending timer as stored in a snapshot. */
export interface TimerSnapshot {
  key: Key;
  namespace: string;
  time: number;
  keyGroup: number;
}

/** The state of one operator (by uid) in one subtask. */
export interface OperatorSnapshot {
  /** Keyed state, per key group. */
  keyed?: KeyedStateSnapshot;
  /** Timers of each timer queue the operator created, in creation order. */
  timers?: TimerSnapshot[][];
  /** Operator (non-keyed) state: whatever the operator's snapshotState returned. */
  operator?: unknown;
  /** A source reader's position. */
  source?: unknown;
}

/** Everything one subtask contributes to a checkpoint. */
export interface SubtaskSnapshot {
  checkpointId: number;
  vertexId: number;
  vertexName: string;
  subtaskIndex: number;
  parallelism: number;
  /** True when the subtask had consumed all its input when the snapshot was taken. */
  finished: boolean;
  operators: Record<string, OperatorSnapshot>;
}

/**
 * Snapshots are written with Node's structured-clone serializer (v8.serialize): it keeps Maps, Sets, typed arrays,
 * bigints and Dates that user state may hold, and needs no schema.
 */
export function encodeSnapshot(s: SubtaskSnapshot): Buffer {
  return serialize(s);
}

export function decodeSnapshot(bytes: Buffer): SubtaskSnapshot {
  return deserialize(bytes) as SubtaskSnapshot;
}
