import type { EncodedBatch } from './batch-codec.js';
import type { ChannelMessage } from './channel-message.js';

/** A channel message as it crosses threads: batches encoded. */
export type WireChannelMessage = Exclude<ChannelMessage, { t: 'batch' }> | { t: 'batch'; enc: EncodedBatch };

/** What one executor sends another: channel messages and credits, in the order they were produced. */
export type PeerItem =
  | { t: 'msg'; edge: number; from: number; to: number; m: WireChannelMessage }
  | { t: 'credit'; edge: number; from: number; to: number; records: number; limit: number };

/**
 * The messages one executor has for one other thread, collected over a pass of its loop and posted as one message.
 * A postMessage costs tens of microseconds on both sides whatever it carries (the receiving loop wakes and runs a
 * callback per message), and a pass produces several per thread — a batch and a watermark per channel after every
 * source batch, credits — so sending them together takes that cost once per pass instead of once per message. (Not
 * once per round of several passes: credits would then come back a round late and stall their senders.)
 *
 * Order per channel is kept (items are appended as produced; the receiver applies them in order). A watermark that
 * follows another on the same channel with nothing between them replaces it: nothing could observe the earlier one.
 */
export class Outbox {
  readonly items: PeerItem[] = [];
  /** The data buffers of the encoded batches, transferred rather than copied. */
  readonly transfer: ArrayBuffer[] = [];
  /** The original records of each batch, to name the one that cannot be copied if posting fails. */
  private readonly batches: { edge: number; values: readonly unknown[] }[] = [];
  /** Channel (`edge:from:to`) → index of its last item when that item is a watermark. */
  private readonly lastWatermark = new Map<string, number>();

  get empty(): boolean {
    return this.items.length === 0;
  }

  addBatch(edge: number, from: number, to: number, enc: EncodedBatch, values: readonly unknown[]): void {
    if (this.lastWatermark.size > 0) this.lastWatermark.delete(channelKey(edge, from, to));
    this.items.push({ t: 'msg', edge, from, to, m: { t: 'batch', enc } });
    this.transfer.push(enc.data);
    this.batches.push({ edge, values });
  }

  addControl(edge: number, from: number, to: number, m: Exclude<ChannelMessage, { t: 'batch' }>): void {
    const key = channelKey(edge, from, to);
    if (m.t === 'wm') {
      const at = this.lastWatermark.get(key);
      if (at !== undefined) {
        this.items[at] = { t: 'msg', edge, from, to, m };
        return;
      }
      this.lastWatermark.set(key, this.items.length);
    } else if (this.lastWatermark.size > 0) this.lastWatermark.delete(key);
    this.items.push({ t: 'msg', edge, from, to, m });
  }

  addCredit(edge: number, from: number, to: number, records: number, limit: number): void {
    this.items.push({ t: 'credit', edge, from, to, records, limit });
  }

  /** The first record that cannot be copied to another thread, and its edge (after postMessage refused this). */
  uncopyable(): { edge: number; record: unknown } | undefined {
    for (const b of this.batches) {
      for (const v of b.values) {
        try {
          structuredClone(v);
        } catch {
          return { edge: b.edge, record: v };
        }
      }
    }
    return undefined;
  }
}

function channelKey(edge: number, from: number, to: number): string {
  return `${edge}:${from}:${to}`;
}
