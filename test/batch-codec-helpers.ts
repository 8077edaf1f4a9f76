import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { EncodedBatch } from '../src/runtime/batch-codec.js';

/** What another thread receives: the encoded batch through a real port (data transferred, the rest cloned). */
export function overPort(enc: EncodedBatch): EncodedBatch {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(enc, [enc.data]);
  const got = receiveMessageOnPort(port2)!.message as EncodedBatch;
  port1.close();
  port2.close();
  return got;
}
