import type { DataStream } from '../../api/data-stream.js';
import type { Sink } from '../../core/sink.js';
import type { PlanNode } from '../../plan/nodes.js';
import type { Row } from '../runtime/row.js';

/**
 * Adds a sink node reading `input` with the given uid (sinkTo gives no handle to set it, and SQL sinks need stable
 * uids for their committables in checkpoints) and, optionally, a fixed parallelism.
 */
export function addSink(
  input: DataStream<Row>,
  sink: Sink<Row>,
  name: string,
  uid: string,
  parallelism?: number,
): void {
  const builder = input.env.planBuilder;
  const id = builder.nextId();
  input.sinkTo(sink, name);
  const node = builder.get(id);
  builder.replace({ ...node, uid, ...(parallelism === undefined ? {} : { parallelism }) } as PlanNode);
}
