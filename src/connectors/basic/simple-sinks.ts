import type { Sink, SinkWriter, SinkWriterContext } from '../../core/sink.js';
import { collectInto } from '../../runtime/collect-registry.js';

/** Writes each record to stdout (or stderr) as a line, prefixed with the subtask number when parallel. */
export class PrintSink<T> implements Sink<T> {
  readonly name = 'print';
  constructor(
    private readonly prefix = '',
    private readonly stream: 'stdout' | 'stderr' = 'stdout',
  ) {}
  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    const tag = ctx.parallelism > 1 ? `${ctx.subtaskIndex + 1}> ` : '';
    const prefix = this.prefix === '' ? tag : `${this.prefix}:${tag === '' ? ' ' : tag}`;
    const out = this.stream === 'stdout' ? process.stdout : process.stderr;
    return {
      write(values) {
        let text = '';
        for (const v of values) text += `${prefix}${typeof v === 'string' ? v : JSON.stringify(v)}\n`;
        // Respect the stream's own backpressure rather than buffering without bound.
        if (!out.write(text)) return new Promise<void>((resolve) => out.once('drain', () => resolve()));
      },
    };
  }
}

/** Drops every record; for benchmarks. */
export class DiscardSink<T> implements Sink<T> {
  readonly name = 'discard';
  count = 0;
  createWriter(): SinkWriter<T> {
    return { write: () => {} };
  }
}

/**
 * Gathers records in memory for tests and small results. Records of every subtask (on every thread) end up in the
 * job result under `id`; their order across subtasks is not defined.
 */
export class CollectSink<T> implements Sink<T> {
  readonly name: string;
  constructor(readonly id: string) {
    this.name = `collect:${id}`;
  }
  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    const id = this.id;
    return { write: (values) => collectInto(ctx.executionId, id, values) };
  }
}
