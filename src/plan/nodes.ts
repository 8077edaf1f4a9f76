import type { Key } from '../core/key.js';
import type { OutputTag } from '../core/output-tag.js';
import type { Sink } from '../core/sink.js';
import type { Source } from '../core/source.js';
import type { WatermarkStrategy } from '../core/watermark-strategy.js';
import type { AggregateFunction } from '../state/descriptors.js';
import type { AssignerContext, WindowAssigner, WindowSlicing } from '../windowing/assigners.js';
import type { Evictor } from '../windowing/evictors.js';
import type { Trigger } from '../windowing/triggers.js';
import type { ProcessWindowFunction } from '../windowing/window-function.js';
import type { Window } from '../windowing/windows.js';

/**
 * The job as an immutable graph of plan nodes: *what* to run, never how. The API (and later SQL and Stateful
 * Functions) build these nodes; the runtime translates each `kind` into an operator. User functions are carried as
 * values; everything else is plain data, so a plan can be described, drawn and compared.
 */

export type KeySelector = (value: never) => Key;

/** How records travel from an upstream node to the parallel subtasks of a downstream node. */
export type Partitioning =
  | { readonly kind: 'forward' }
  | { readonly kind: 'rebalance' }
  | { readonly kind: 'shuffle' }
  | { readonly kind: 'broadcast' }
  | { readonly kind: 'global' }
  | { readonly kind: 'hash'; readonly keySelector: KeySelector };

export interface PlanInput {
  readonly node: PlanNode;
  readonly partitioning: Partitioning | undefined;
  /** Set when this input reads a side output of `node` instead of its main output. */
  readonly sideOutput?: OutputTag<unknown>;
}

interface NodeBase {
  readonly id: number;
  /** Stable identifier of the operator's state; must not change between versions of a job. */
  readonly uid: string;
  readonly name: string;
  /** undefined: the job's default parallelism. */
  readonly parallelism: number | undefined;
  readonly inputs: readonly PlanInput[];
}

type Fn = (...args: never[]) => unknown;

export type PlanNode =
  | (NodeBase & {
      kind: 'source';
      source: Source<unknown>;
      /** Set for sources with per-split watermarks: the strategy runs inside the source subtask. */
      watermarks?: WatermarkStrategy<unknown>;
    })
  | (NodeBase & { kind: 'timestamps'; strategy: WatermarkStrategy<unknown> })
  | (NodeBase & { kind: 'map' | 'filter' | 'flatMap'; fn: Fn; rich?: object })
  | (NodeBase & WatermarkHoldBack & { kind: 'process'; fn: object; keySelector: KeySelector | undefined })
  | (NodeBase &
      WatermarkHoldBack & { kind: 'coProcess'; fn: object; keySelectors: [KeySelector, KeySelector] | undefined })
  | (NodeBase & { kind: 'broadcastProcess'; fn: object; keySelector: KeySelector | undefined })
  | (NodeBase & { kind: 'reduce'; fn: Fn; keySelector: KeySelector })
  | (NodeBase & {
      kind: 'aggregate';
      aggregate: AggregateFunction<unknown, unknown, unknown>;
      keySelector: KeySelector;
      /** 'every': a result after every record; 'final': each key's result once, at the end of input. */
      emit: 'every' | 'final';
      /** Set by local aggregation: the input carries partial accumulators (see `localAggregate`), merged in. */
      partials?: boolean;
    })
  | (NodeBase & {
      /**
       * Local (pre-exchange) aggregation, inserted by the runtime before a keyed aggregate whose function can merge:
       * stateless, it folds each input batch into one partial accumulator per key (and per window slice when
       * `slicing` is set) and emits them at the end of the batch as `[key, acc]` or `[key, acc, sliceStart, count]`.
       */
      kind: 'localAggregate';
      aggregate: AggregateFunction<unknown, unknown, unknown>;
      keySelector: KeySelector;
      slicing: WindowSlicing | undefined;
    })
  | (NodeBase & {
      kind: 'async';
      fn: Fn;
      ordered: boolean;
      capacity: number;
      timeoutMs: number;
      retries: number;
      retryDelayMs: number;
    })
  | (NodeBase & WindowSpec & { kind: 'window'; keySelector: KeySelector | undefined })
  | (NodeBase & { kind: 'union' })
  | (NodeBase & { kind: 'sink'; sink: Sink<unknown> });

/**
 * A process function that emits records behind its input watermark (e.g. an interval join's pairs, stamped with
 * the time of the row that arrived first) declares by how much, so they are not late for event-time operators
 * downstream: its output watermark is its input watermark minus `watermarkDelayMs` (Flink's watermark delay of
 * interval joins). Its own timers and `currentWatermark()` still follow the input watermark; the final watermark
 * at the end of input passes unchanged, so downstream windows all fire.
 */
export interface WatermarkHoldBack {
  /** ms, >= 0; absent or 0: the input watermark is forwarded as is. */
  readonly watermarkDelayMs?: number;
}

/** Everything a window operator needs besides its key selector. */
export interface WindowSpec {
  readonly assigner: WindowAssigner<unknown, Window>;
  readonly trigger: Trigger<unknown, Window>;
  readonly evictor: Evictor<unknown, Window> | undefined;
  readonly allowedLatenessMs: number;
  readonly lateDataTag: OutputTag<unknown> | undefined;
  /** Pre-aggregation applied to each element as it arrives (none: the window keeps all its elements). */
  readonly aggregate: AggregateFunction<unknown, unknown, unknown> | undefined;
  readonly windowFunction: ProcessWindowFunction<unknown, unknown, Key, Window> | undefined;
  /** Set by local aggregation: the input carries partial accumulators per window slice (see `localAggregate`). */
  readonly partials?: boolean;
}

export type { AssignerContext };
