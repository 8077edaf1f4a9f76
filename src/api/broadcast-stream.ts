import type { BroadcastProcessFunction, KeyedBroadcastProcessFunction } from '../functions/functions.js';
import type { KeySelector } from '../plan/nodes.js';
import type { MapStateDescriptor } from '../state/descriptors.js';
import { DataStream } from './data-stream.js';
import { inputOf, nodeBase, type StreamRef } from './stream-base.js';

/** A stream whose every record reaches every subtask of the operator it is connected to; see `DataStream.connect`. */
export class BroadcastStream<T> {
  constructor(
    /** @internal */ readonly ref: StreamRef,
    readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {}

  /** @internal */
  connectTo<M>(main: StreamRef, keySelector: ((v: M) => unknown) | undefined): BroadcastConnectedStream<M, T> {
    return new BroadcastConnectedStream<M, T>(main, this.ref, keySelector as KeySelector | undefined);
  }
}

/** A main stream connected to a broadcast stream; finish with `process`. */
export class BroadcastConnectedStream<M, B> {
  constructor(
    private readonly main: StreamRef,
    private readonly broadcast: StreamRef,
    private readonly keySelector: KeySelector | undefined,
  ) {}

  process<R>(
    fn: BroadcastProcessFunction<M, B, R> | KeyedBroadcastProcessFunction<never, M, B, R>,
    name = 'broadcast-process',
  ): DataStream<R> {
    const env = this.main.env;
    const node = env.planBuilder.add({
      ...nodeBase(env, 'broadcastProcess', name),
      kind: 'broadcastProcess',
      fn,
      keySelector: this.keySelector,
      inputs: [inputOf(this.main), inputOf(this.broadcast)],
    });
    return new DataStream<R>({ env, nodeId: node.id, partitioning: undefined, sideOutput: undefined });
  }
}
