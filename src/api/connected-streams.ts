import type { Key } from '../core/key.js';
import type { CoFlatMapFunction, CoProcessFunction, KeyedCoProcessFunction } from '../functions/functions.js';
import type { KeySelector } from '../plan/nodes.js';
import { DataStream } from './data-stream.js';
import { inputOf, nodeBase, type StreamRef } from './stream-base.js';

function addCoProcess<R>(
  first: StreamRef,
  second: StreamRef,
  keySelectors: [KeySelector, KeySelector] | undefined,
  fn: object,
  name: string,
): DataStream<R> {
  const env = first.env;
  const node = env.planBuilder.add({
    ...nodeBase(env, 'coProcess', name),
    kind: 'coProcess',
    fn,
    keySelectors,
    inputs: [inputOf(first), inputOf(second)],
  });
  return new DataStream<R>({ env, nodeId: node.id, partitioning: undefined, sideOutput: undefined });
}

/** Flat-map and map over both inputs, shared by the keyed and non-keyed forms. */
abstract class TwoInputs<A, B> {
  constructor(
    protected readonly first: StreamRef,
    protected readonly second: StreamRef,
    protected readonly keySelectors: [KeySelector, KeySelector] | undefined,
  ) {}

  flatMap<R = never>(fn: CoFlatMapFunction<A, B, R>, name = 'co-flatMap'): DataStream<R> {
    return addCoProcess(this.first, this.second, this.keySelectors, fn, name);
  }

  map<R>(map1: (a: A) => R, map2: (b: B) => R, name = 'co-map'): DataStream<R> {
    const fn: CoFlatMapFunction<A, B, R> = {
      flatMap1: (a, out) => out.collect(map1(a)),
      flatMap2: (b, out) => out.collect(map2(b)),
    };
    return this.flatMap(fn, name);
  }
}

/** Two streams processed together by one two-input function (CoProcessFunction, CoFlatMapFunction). */
export class ConnectedStreams<A, B> extends TwoInputs<A, B> {
  constructor(first: StreamRef, second: StreamRef) {
    super(first, second, undefined);
  }
  process<R = never>(fn: CoProcessFunction<A, B, R>, name = 'co-process'): DataStream<R> {
    return addCoProcess(this.first, this.second, undefined, fn, name);
  }
}

/** Two keyed streams with the same key type: a KeyedCoProcessFunction sees both with shared keyed state and timers. */
export class KeyedConnectedStreams<A, B, K extends Key> extends TwoInputs<A, B> {
  constructor(first: StreamRef, second: StreamRef, keySelectors: [KeySelector, KeySelector]) {
    super(first, second, keySelectors);
  }
  process<R = never>(fn: KeyedCoProcessFunction<K, A, B, R>, name = 'co-process'): DataStream<R> {
    return addCoProcess(this.first, this.second, this.keySelectors, fn, name);
  }
}
