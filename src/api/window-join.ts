import type { Key } from '../core/key.js';
import type { Collector } from '../functions/context.js';
import type { WindowAssigner } from '../windowing/assigners.js';
import type { Window } from '../windowing/windows.js';
import type { DataStream } from './data-stream.js';

type Tagged<A, B> = { side: 0; value: A } | { side: 1; value: B };

/**
 * Window join: `a.join(b).where(ka).equalTo(kb).window(assigner).apply(fn)` calls `fn(x, y)` for every pair of an
 * element x of `a` and y of `b` with equal keys that fall in the same window (an inner join per window).
 * Built from union + keyBy + window, so it inherits the window operator's semantics (triggers, lateness).
 */
export class WindowJoinBuilder<A, B> {
  constructor(
    private readonly left: DataStream<A>,
    private readonly right: DataStream<B>,
  ) {}
  where<K extends Key>(leftKey: (a: A) => K) {
    return {
      equalTo: (rightKey: (b: B) => K) => ({
        window: <W extends Window>(assigner: WindowAssigner<unknown, W>) => ({
          /** Emits `join(x, y)` for each matching pair. */
          apply: <R>(join: (a: A, b: B) => R): DataStream<R> =>
            this.build(leftKey, rightKey, assigner, (a, b, out: Collector<R>) => out.collect(join(a, b))),
          /** Emits through a collector: zero or more results per pair. */
          flatApply: <R = never>(join: (a: A, b: B, out: Collector<R>) => void): DataStream<R> =>
            this.build(leftKey, rightKey, assigner, join),
        }),
      }),
    };
  }

  private build<K extends Key, W extends Window, R>(
    leftKey: (a: A) => K,
    rightKey: (b: B) => K,
    assigner: WindowAssigner<unknown, W>,
    join: (a: A, b: B, out: Collector<R>) => void,
  ): DataStream<R> {
    const l = this.left.map((value): Tagged<A, B> => ({ side: 0, value }), 'join-left');
    const r = this.right.map((value): Tagged<A, B> => ({ side: 1, value }), 'join-right');
    return l
      .union(r)
      .keyBy((t) => (t.side === 0 ? leftKey(t.value) : rightKey(t.value)))
      .window(assigner)
      .process<R>({
        process(_key, _ctx, elements, out) {
          const lefts: A[] = [];
          const rights: B[] = [];
          for (const e of elements) {
            if (e.side === 0) lefts.push(e.value);
            else rights.push(e.value);
          }
          for (const a of lefts) for (const b of rights) join(a, b, out);
        },
      });
  }
}
