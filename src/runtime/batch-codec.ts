import { Packr, Unpackr } from 'msgpackr';
import type { Batch } from '../core/batch.js';

/**
 * The compact binary form of a batch crossing threads: values as one MessagePack document (msgpackr with record
 * structures, so an object shape is described once per batch, not once per record) and timestamps as a Float64Array.
 * Both buffers are transferred, never copied, by postMessage.
 */
export interface EncodedBatch {
  values: Uint8Array;
  timestamps: Float64Array;
}

export class BatchCodec {
  private readonly packr = new Packr({ useRecords: true, moreTypes: true, int64AsType: 'bigint' });
  private readonly unpackr = new Unpackr({ useRecords: true, moreTypes: true, int64AsType: 'bigint' });

  encode(batch: Batch): EncodedBatch {
    // pack() returns a view of a reused internal buffer: copy it into a buffer of its own before transferring.
    const packed = this.packr.pack(batch.values);
    return { values: new Uint8Array(packed), timestamps: Float64Array.from(batch.timestamps) };
  }

  decode(encoded: EncodedBatch): Batch {
    const values = this.unpackr.unpack(encoded.values) as unknown[];
    return { values, timestamps: Array.from(encoded.timestamps) };
  }
}
