import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelMessage } from '../src/runtime/channel-message.js';
import { RecordWriter } from '../src/runtime/record-writer.js';

/** A writer of one forward channel with 4 credits of 100-record batches, and what it sent. */
function forwardWriter() {
  const sent: ChannelMessage[] = [];
  const transport = { send: (_e: number, _f: number, _t: number, m: ChannelMessage) => void sent.push(m) };
  const writer = new RecordWriter(0, 0, { kind: 'forward' }, 1, 128, 100, 4, transport);
  const write = (n: number) =>
    writer.write({ values: Array.from({ length: n }, (_, i) => i), timestamps: new Array(n).fill(0) });
  return { writer, sent, write };
}

test('credit counts records in flight, so small batches (a flush per watermark) do not use up a channel', () => {
  const { writer, sent, write } = forwardWriter();
  // A sparse output: one record, then a watermark that flushes it, twenty times.
  for (let i = 0; i < 20; i++) {
    write(1);
    writer.emitWatermark(i);
  }
  assert.equal(sent.filter((m) => m.t === 'batch').length, 20);
  assert.ok(writer.hasCredit(), '20 records in flight of a 400-record window');
  assert.equal(writer.room(), 400 - 20);
});

test('a channel blocks once credits × batch limit records are in flight and opens as they are consumed', () => {
  const { writer, sent, write } = forwardWriter();
  write(399); // three full batches go at once; the last 99 records go with the flush
  writer.flush();
  assert.ok(writer.hasCredit(), '399 of 400 records in flight');
  write(1);
  writer.flush();
  assert.equal(
    sent.reduce((n, m) => n + (m.t === 'batch' ? m.batch.values.length : 0), 0),
    400,
  );
  assert.equal(writer.hasCredit(), false, '400 records in flight: blocked');
  assert.equal(writer.room(), 0);
  writer.addCredit(0, 100);
  assert.ok(writer.hasCredit(), 'a consumed batch of 100 opens the channel');
  assert.equal(writer.room(), 100);
  // The receiver asks for smaller batches: its window shrinks to 4 × 10 records, and 300 are still in flight.
  writer.addCredit(0, 1, 10);
  assert.equal(writer.hasCredit(), false);
  for (const n of [99, 100, 100]) writer.addCredit(0, n, 10);
  assert.ok(writer.hasCredit(), 'nothing in flight');
  assert.equal(writer.room(), 40);
});
