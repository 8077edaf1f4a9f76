import type { Key } from '../core/key.js';
import type { BroadcastProcessFunction, KeyedBroadcastProcessFunction } from '../functions/functions.js';
import type { KeySelector } from '../plan/nodes.js';
import type { MapStateDescriptor } from '../state/descriptors.js';
import { DataStream } from './data-stream.js';
import { inputOf, nodeBase, type StreamRef } from './stream-base.js';

/** A stream whose every record reaches every subtask of the operator it is connected to; see `DataStream.connect`. */
// biome-ignore lint/correctness/noUnusedVariables: T is the record type, carried for the functions connected to it.
export class BroadcastStream<T> {
  constructor(
    /** @internal */ readonly ref: StreamRef,
    readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {}
}

function addBroadcastProcess<R>(
  main: StreamRef,
  broadcast: StreamRef,
  keySelector: KeySelector | undefined,
  fn: object,
  name: string,
): DataStream<R> {
  const env = main.env;
  const node = env.planBuilder.add({
    ...nodeBase(env, 'broadcastProcess', name),
    kind: 'broadcastProcess',
    fn,
    keySelector,
    inputs: [inputOf(main), inputOf(broadcast)],
  });
  return new DataStream<R>({ env, nodeId: node.id, partitioning: undefined, sideOutput: undefined });
}

/** A non-keyed stream connected to a broadcast stream; finish with `process`. */
export class BroadcastConnectedStream<M, B> {
  constructor(
    private readonly main: StreamRef,
    private readonly broadcast: StreamRef,
  ) {}
  process<R = never>(fn: BroadcastProcessFunction<M, B, R>, name = 'broadcast-process'): DataStream<R> {
    return addBroadcastProcess(this.main, this.broadcast, undefined, fn, name);
  }
}

/** A keyed stream connected to a broadcast stream: the function also has keyed state and timers. */
export class KeyedBroadcastConnectedStream<M, B, K extends Key> {
  constructor(
    private readonly main: StreamRef,
    private readonly broadcast: StreamRef,
    private readonly keySelector: KeySelector,
  ) {}
  process<R = never>(fn: KeyedBroadcastProcessFunction<K, M, B, R>, name = 'broadcast-process'): DataStream<R> {
    return addBroadcastProcess(this.main, this.broadcast, this.keySelector, fn, name);
  }
}
