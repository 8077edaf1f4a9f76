import type { Sink, SinkWriter, SinkWriterContext } from '../core/sink.js';
import type { Hubs, IngressRecord, ReplyRecord } from './hub.js';

/** The dispatcher's output: answers to HTTP requests, and feedback records for instances of another subtask. */
export type DispatcherOutput = ReplyRecord | IngressRecord;

const isFeedback = (r: DispatcherOutput): r is IngressRecord => 'k' in r;

/**
 * The one consumer of the dispatcher's output (one consumer, so at parallelism 1 it chains onto the dispatcher: no
 * exchange, no subtask and state file of its own). Two roles:
 *
 * - **Feedback tail.** Records for instances of this subtask (and the rest of a queue when a call yielded) go, on the
 *   same thread, to this subtask's ingress source through the hub's `FeedbackLog`. With checkpoints, the writer
 *   state for checkpoint *n* is the records in flight on the loop for *n* (the channel recording of the Chandy–Lamport
 *   algorithm; see `FeedbackLog`). On restore, subtask *i* takes the recordings of previous subtasks *j* with
 *   *j* mod *p* = *i*: the source emits them keyed by their target, so each reaches its owner at any parallelism.
 * - **HTTP answers**, which reach subtask 0 only (the exchange routes them there; it runs on the thread of ingress
 *   subtask 0, which holds the responses): two-phase commit. `prepareCommit` puts the answers written since the last
 *   checkpoint aside under the checkpoint's id and `commit` (once the checkpoint is complete and durable) sends them,
 *   so no client sees an answer whose effects could still be rolled back. The held answers are not in the checkpoint
 *   (the committable is only the id): their connections die with the process, and the clients' retries get the
 *   stored answers. Without checkpoints answers go out at once (no guarantee).
 */
export class DispatcherOutputSink implements Sink<DispatcherOutput> {
  readonly name = 'statefun-output';

  constructor(private readonly hubs: Hubs) {}

  createWriter(ctx: SinkWriterContext): SinkWriter<DispatcherOutput> {
    const hub = this.hubs.get(ctx.subtaskIndex);
    const answers = this.hubs.http;
    const feedback: IngressRecord[] = [];
    const split = (values: readonly DispatcherOutput[], replies: (r: ReplyRecord) => void) => {
      for (const v of values) {
        if (isFeedback(v)) feedback.push(v);
        else replies(v);
      }
      if (feedback.length > 0) {
        hub.pushFeedback(feedback);
        feedback.length = 0;
      }
    };
    if (!ctx.exactlyOnce) {
      const now: ReplyRecord[] = [];
      return {
        write(values) {
          split(values, (r) => now.push(r));
          if (now.length > 0) answers.answer(now.splice(0));
        },
      };
    }
    let current: ReplyRecord[] = [];
    const held = new Map<number, ReplyRecord[]>();
    let checkpointId: number | undefined;
    return {
      write(values) {
        split(values, (r) => current.push(r));
      },
      prepareCommit(id) {
        checkpointId = id;
        if (current.length === 0) return undefined;
        held.set(id, current);
        current = [];
        return { checkpointId: id };
      },
      snapshotState() {
        if (checkpointId === undefined) return [];
        const recorded = hub.feedback.recordTail(checkpointId);
        checkpointId = undefined;
        return recorded;
      },
      commit(committables) {
        for (const c of committables as { checkpointId: number }[]) {
          const waiting = held.get(c.checkpointId);
          if (waiting === undefined) continue; // held by an earlier process: its clients retry
          held.delete(c.checkpointId);
          answers.answer(waiting);
        }
      },
      recover(_committables, states) {
        current = [];
        held.clear();
        for (const s of states) hub.pushFeedback(s as IngressRecord[]);
      },
    };
  }
}
