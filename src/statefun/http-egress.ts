import type { Sink, SinkWriter, SinkWriterContext } from '../core/sink.js';
import type { Hubs, ReplyRecord } from './hub.js';

/**
 * The HTTP-response egress: a two-phase-commit sink. With checkpoints, answers are held back: `prepareCommit` puts
 * the answers written since the last checkpoint aside under the checkpoint's id, and `commit` (once that checkpoint
 * is complete and durable) sends them. So no client ever sees an answer whose effects could still be rolled back.
 * The held answers are not part of the checkpoint (the committable is only the id): their connections die with the
 * process, and after a restore the clients' retries get the stored answers. Without checkpoints answers go out at
 * once (no guarantee). It runs at parallelism 1, on the thread of ingress subtask 0, which holds the HTTP responses:
 * the answers of every dispatcher subtask reach it over the exchange.
 */
export class HttpReplySink implements Sink<ReplyRecord> {
  readonly name = 'statefun-replies';
  readonly requiredParallelism = 1;

  constructor(private readonly hubs: Hubs) {}

  createWriter(ctx: SinkWriterContext): SinkWriter<ReplyRecord> {
    const hub = this.hubs.http;
    if (!ctx.exactlyOnce) return { write: (values) => hub.answer(values) };
    let current: ReplyRecord[] = [];
    const held = new Map<number, ReplyRecord[]>();
    return {
      write(values) {
        for (const v of values) current.push(v);
      },
      prepareCommit(checkpointId) {
        if (current.length === 0) return undefined;
        held.set(checkpointId, current);
        current = [];
        return { checkpointId };
      },
      commit(committables) {
        for (const c of committables as { checkpointId: number }[]) {
          const answers = held.get(c.checkpointId);
          if (answers === undefined) continue; // held by an earlier process: its clients retry
          held.delete(c.checkpointId);
          hub.answer(answers);
        }
      },
      recover() {
        current = [];
        held.clear();
      },
    };
  }
}
