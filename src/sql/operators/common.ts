import type { StateTtlConfig } from '../../state/descriptors.js';
import type { AggregateCall } from '../functions/function-catalog.js';

/**
 * Options every SQL operator builder takes. `name` is the operator's name in the plan (EXPLAIN, dashboard);
 * `uid` its state identity in checkpoints (the planner derives it from the statement and the node's position so a
 * re-planned script restores its state).
 */
export interface SqlOperatorOptions {
  readonly name: string;
  readonly uid: string;
  /** 'table.exec.state.ttl' in ms; 0 or absent = state kept forever. Applies to unwindowed state only. */
  readonly stateTtlMs?: number;
  /** Parallelism of the operator; absent = the job default. */
  readonly parallelism?: number;
}

/** The state TTL of 'table.exec.state.ttl' as descriptor options (none when 0 or absent). */
export function ttlOptions(options: SqlOperatorOptions): { ttl?: StateTtlConfig } {
  const ms = options.stateTtlMs;
  if (ms === undefined || ms <= 0) return {};
  return { ttl: { ttlMs: ms, updateType: 'onCreateAndWrite', visibility: 'neverReturnExpired' } };
}

/** Sort key of a Top-N / OVER / ROW_NUMBER: input column, direction, nulls placement (Flink: NULLS FIRST for ASC). */
export interface SortKey {
  readonly index: number;
  readonly descending: boolean;
  readonly nullsFirst: boolean;
}

export type { AggregateCall };
