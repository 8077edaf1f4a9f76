import type { OutputTag } from '../core/output-tag.js';
import type { Collector, RichFunction, RuntimeContext } from '../functions/context.js';
import type { Window } from './windows.js';

/** Context of one window evaluation. */
export interface ProcessWindowContext<W extends Window> {
  readonly window: W;
  currentWatermark(): number;
  currentProcessingTime(): number;
  output<X>(tag: OutputTag<X>, value: X): void;
  /** Keyed state scoped to this key and window (cleared with the window). */
  readonly windowState: Pick<RuntimeContext, 'getState' | 'getListState' | 'getMapState'>;
  /** Keyed state scoped to the key only. */
  readonly globalState: Pick<RuntimeContext, 'getState' | 'getListState' | 'getMapState'>;
}

/**
 * Evaluates a window with all its elements (or, after `reduce`/`aggregate`, with the single pre-aggregated value).
 * It emits through `out`, or returns its results as an array (or any iterable), or both: returned results follow
 * those collected. Returning lets TypeScript infer the output type; with `out` alone, annotate it
 * (`out: Collector<Row>`). Output records carry the timestamp `window.maxTimestamp()`.
 */
export interface ProcessWindowFunction<IN, OUT, K, W extends Window = Window> extends RichFunction {
  process(
    key: K,
    ctx: ProcessWindowContext<W>,
    elements: readonly IN[],
    out: Collector<OUT>,
  ): Iterable<OUT> | undefined | void;
  /** Called when the window is purged, to clean per-window state. */
  clear?(ctx: ProcessWindowContext<W>): void;
}

/**
 * The window function given to `reduce(fn, windowFunction)` or `aggregate(agg, windowFunction)`: it sees exactly
 * one element, the window's reduced or aggregated value (so `[value]` destructures to `V`, not `V | undefined`).
 * Emits and returns as a {@link ProcessWindowFunction}, and any ProcessWindowFunction of `V` is one.
 */
export interface ReducedWindowFunction<V, OUT, K, W extends Window = Window> extends RichFunction {
  process(
    key: K,
    ctx: ProcessWindowContext<W>,
    result: readonly [V],
    out: Collector<OUT>,
  ): Iterable<OUT> | undefined | void;
  clear?(ctx: ProcessWindowContext<W>): void;
}
