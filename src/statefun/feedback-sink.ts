import type { Sink, SinkWriter, SinkWriterContext } from '../core/sink.js';
import type { Hubs, IngressRecord } from './hub.js';

/**
 * The tail of the feedback loop: receives, over a hash exchange keyed like the dispatcher's input, the records
 * dispatcher subtasks send to instances of this subtask (and the rest of a queue when a call yielded), and hands them
 * to this subtask's ingress source through the hub's {@link FeedbackLog}, on the same thread.
 *
 * With checkpoints, its writer state for checkpoint *n* is the records in flight on the loop for *n* (the channel
 * recording of the Chandy–Lamport algorithm; see `FeedbackLog`). On restore, subtask *i* takes the recordings of
 * the previous subtasks *j* with *j* mod *p* = *i* and pushes them into its log: the source emits them keyed by their
 * target, so each reaches the subtask that owns its key now, at any parallelism.
 */
export class FeedbackSink implements Sink<IngressRecord> {
  readonly name = 'statefun-feedback';

  constructor(private readonly hubs: Hubs) {}

  createWriter(ctx: SinkWriterContext): SinkWriter<IngressRecord> {
    const hub = this.hubs.get(ctx.subtaskIndex);
    let checkpointId: number | undefined;
    return {
      write: (values) => hub.pushFeedback(values),
      prepareCommit(id) {
        checkpointId = id;
        return undefined;
      },
      snapshotState() {
        if (checkpointId === undefined) return [];
        const recorded = hub.feedback.recordTail(checkpointId);
        checkpointId = undefined;
        return recorded;
      },
      recover(_committables, states) {
        for (const s of states) hub.pushFeedback(s as IngressRecord[]);
      },
    };
  }
}
