import type { CoFlatMapFunction, CoProcessFunction, KeyedCoProcessFunction } from '../functions/functions.js';
import type { KeySelector } from '../plan/nodes.js';
import { DataStream } from './data-stream.js';
import { inputOf, nodeBase, type StreamRef } from './stream-base.js';

/** Two streams processed together by one two-input function; keyed when both sides were keyed. */
export class ConnectedStreams<A, B> {
  constructor(
    private readonly first: StreamRef,
    private readonly second: StreamRef,
    private readonly keySelectors: [KeySelector, KeySelector] | undefined,
  ) {}

  private add<R>(fn: object, name: string): DataStream<R> {
    const env = this.first.env;
    const node = env.planBuilder.add({
      ...nodeBase(env, 'coProcess', name),
      kind: 'coProcess',
      fn,
      keySelectors: this.keySelectors,
      inputs: [inputOf(this.first), inputOf(this.second)],
    });
    return new DataStream<R>({ env, nodeId: node.id, partitioning: undefined, sideOutput: undefined });
  }

  /** CoProcessFunction, or KeyedCoProcessFunction (keyed state and timers) on connected keyed streams. */
  process<R>(
    fn: CoProcessFunction<A, B, R> | KeyedCoProcessFunction<never, A, B, R>,
    name = 'co-process',
  ): DataStream<R> {
    return this.add(fn, name);
  }

  flatMap<R>(fn: CoFlatMapFunction<A, B, R>, name = 'co-flatMap'): DataStream<R> {
    return this.add(fn, name);
  }

  map<R>(map1: (a: A) => R, map2: (b: B) => R, name = 'co-map'): DataStream<R> {
    return this.add(
      {
        flatMap1: (a: A, out: { collect(r: R): void }) => out.collect(map1(a)),
        flatMap2: (b: B, out: { collect(r: R): void }) => out.collect(map2(b)),
      },
      name,
    );
  }
}
