import type { ValueState } from '../../state/state.js';
import type { WindowAssigner } from '../../windowing/assigners.js';
import { TimeWindow } from '../../windowing/windows.js';

/** A live merged window of the current key: [start, end, namespace of the state window holding its contents]. */
export type MergedWindowEntry = [number, number, string];

/**
 * Reports one merge: `merged` replaces the `previous` live windows (those not equal to it), and the contents under
 * `previousStateNamespaces` must be folded into `stateNamespace`.
 */
export type OnWindowMerge = (
  merged: TimeWindow,
  previous: MergedWindowEntry[],
  stateNamespace: string,
  previousStateNamespaces: string[],
) => void;

/**
 * The live windows of one key of a merging assigner (sessions), kept in keyed state. Each window's contents live
 * under the namespace of a *state window* that does not change when the window grows: when windows merge, the
 * merged window keeps the state window of one of them and only the others' contents are folded in. An element that
 * extends a session therefore moves no state (the common case with in-order data), as in Flink's MergingWindowSet.
 */
export class MergingWindowSet {
  /** The state namespace of the window returned by the last {@link add} or found by {@link stateNamespaceOf}. */
  stateNamespace = '';

  constructor(
    private readonly state: ValueState<MergedWindowEntry[]>,
    private readonly assigner: WindowAssigner<unknown, TimeWindow>,
  ) {}

  /**
   * Adds the window of a new element, merging it with live windows as the assigner says; returns the window the
   * element belongs to and sets {@link stateNamespace} to where its contents live.
   */
  add(w: TimeWindow, onMerge: OnWindowMerge): TimeWindow {
    const list = this.state.value();
    if (list === undefined) {
      this.state.update([[w.start, w.end, w.namespace]]);
      this.stateNamespace = w.namespace;
      return w;
    }
    if (this.assigner.mergesIntersecting === true) {
      // Sessions merge exactly the windows that intersect or touch: find them directly.
      let hit = -1;
      let hits = 0;
      for (let i = 0; i < list.length; i++) {
        const e = list[i]!;
        if (e[0] <= w.end && e[1] >= w.start) {
          if (hits++ === 0) hit = i;
        }
      }
      if (hits === 0) {
        this.state.update([...list, [w.start, w.end, w.namespace]]);
        this.stateNamespace = w.namespace;
        return w;
      }
      const e = list[hit]!;
      if (hits === 1) {
        this.stateNamespace = e[2];
        const old = new TimeWindow(e[0], e[1]);
        if (e[0] <= w.start && e[1] >= w.end) return old;
        // The element extends one session (in-order data): the session grows, its contents stay where they are.
        const merged = new TimeWindow(Math.min(e[0], w.start), Math.max(e[1], w.end));
        const updated = list.slice();
        updated[hit] = [merged.start, merged.end, e[2]];
        this.state.update(updated);
        onMerge(merged, [e], e[2], []);
        return merged;
      }
    }
    return this.merge(list, w, onMerge);
  }

  private merge(list: MergedWindowEntry[], w: TimeWindow, onMerge: OnWindowMerge): TimeWindow {
    const windows = list.map(([s, e]) => new TimeWindow(s, e));
    const existing = windows.findIndex((x) => x.equals(w));
    if (existing >= 0) {
      this.stateNamespace = list[existing]![2];
      return windows[existing]!;
    }
    const stateOf = new Map<TimeWindow, string>(windows.map((x, i) => [x, list[i]![2]]));
    windows.push(w);
    stateOf.set(w, w.namespace);
    let result = w;
    let current = windows;
    this.assigner.mergeWindows!(windows, (toMerge, merged) => {
      const earlier = toMerge.filter((x) => x !== w);
      // The merged window keeps the state window of an earlier window; the new element's window has no contents.
      const stateNamespace = stateOf.get(earlier[0] ?? w)!;
      const previous = earlier
        .filter((x) => !x.equals(merged))
        .map((x): MergedWindowEntry => [x.start, x.end, stateOf.get(x)!]);
      const previousStates = earlier.slice(1).map((x) => stateOf.get(x)!);
      current = current.filter((x) => !toMerge.includes(x));
      current.push(merged);
      stateOf.set(merged, stateNamespace);
      if (toMerge.includes(w)) result = merged;
      onMerge(merged, previous, stateNamespace, previousStates);
    });
    this.state.update(current.map((x) => [x.start, x.end, stateOf.get(x)!]));
    this.stateNamespace = stateOf.get(result)!;
    return result;
  }

  /** The state namespace of live window `w` (also stored in {@link stateNamespace}), or undefined when not live. */
  stateNamespaceOf(w: TimeWindow): string | undefined {
    const e = this.state.value()?.find(([s, end]) => s === w.start && end === w.end);
    if (e !== undefined) this.stateNamespace = e[2];
    return e?.[2];
  }

  /** The live window whose contents live under `stateNamespace`, if any. */
  entryOf(stateNamespace: string): MergedWindowEntry | undefined {
    return this.state.value()?.find((e) => e[2] === stateNamespace);
  }

  /** Forgets live window `w` (after its cleanup). */
  remove(w: TimeWindow): void {
    const rest = (this.state.value() ?? []).filter(([s, e]) => !(s === w.start && e === w.end));
    if (rest.length === 0) this.state.clear();
    else this.state.update(rest);
  }
}
