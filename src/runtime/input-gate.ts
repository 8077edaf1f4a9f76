import { SluiceError } from '../core/errors.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../core/time.js';
import type { ChannelMessage } from './channel-message.js';
import { channelsPerTarget, type Vertex } from './execution-graph.js';

/** One incoming channel of a subtask: its queue and what its control messages said. */
export interface InputChannel {
  readonly edge: number;
  readonly from: number;
  /** Which input of a two-input operator the channel feeds (0 or 1). */
  readonly input: number;
  readonly queue: ChannelMessage[];
  head: number;
  wm: number;
  idle: boolean;
  ended: boolean;
  /** Set while this channel delivered the barrier of the checkpoint being aligned: it is not read until aligned. */
  blocked: boolean;
}

/**
 * What the combined input changed after a control message: every channel ended; the input became idle or active
 * again; the watermark advanced (after becoming active, both may happen at once).
 */
export interface WatermarkChange {
  ended?: true;
  idle?: boolean;
  advance?: number;
}

/**
 * The input side of a subtask: one queue per channel (upstream subtask × edge), read round-robin; the combined
 * watermark (minimum over channels that are neither idle nor ended); and barrier alignment for checkpoints (a channel
 * that delivered the barrier is not read until every channel has delivered it or ended; a newer checkpoint's barrier
 * aborts the alignment of an older one).
 */
export class InputGate {
  readonly channels: InputChannel[] = [];
  private readonly byId = new Map<string, InputChannel>();
  private next = 0;
  private watermark = MIN_WATERMARK;
  private idle = false;
  private ended = 0;
  private aligning: number | undefined;
  private alignStart = 0;
  /** Milliseconds the last completed alignment took. */
  lastAlignmentMs = 0;

  constructor(vertex: Vertex, subtask: number) {
    vertex.inputs.forEach((refs, input) => {
      for (const ref of refs) {
        const n = channelsPerTarget(ref.edge);
        for (let c = 0; c < n; c++) {
          const from = ref.edge.partitioning.kind === 'forward' ? subtask : c;
          const ch: InputChannel = {
            edge: ref.edge.id,
            from,
            input,
            queue: [],
            head: 0,
            wm: MIN_WATERMARK,
            idle: false,
            ended: false,
            blocked: false,
          };
          this.channels.push(ch);
          this.byId.set(`${ref.edge.id}:${from}`, ch);
        }
      }
    });
  }

  enqueue(edge: number, from: number, message: ChannelMessage, subtaskName: string): void {
    const ch = this.byId.get(`${edge}:${from}`);
    if (ch === undefined) throw new SluiceError(`no channel ${edge}:${from} on ${subtaskName}`);
    ch.queue.push(message);
  }

  /** True when some channel that is not blocked has a message. */
  readable(): boolean {
    for (const ch of this.channels) if (!ch.blocked && ch.head < ch.queue.length) return true;
    return false;
  }

  /** The next message, taking channels in turn; undefined when no unblocked channel has one. */
  poll(): [InputChannel, ChannelMessage] | undefined {
    const chs = this.channels;
    for (let tried = 0; tried < chs.length; tried++) {
      const ch = chs[this.next]!;
      this.next = this.next + 1 === chs.length ? 0 : this.next + 1;
      if (ch.blocked || ch.head >= ch.queue.length) continue;
      const msg = ch.queue[ch.head]!;
      ch.queue[ch.head++] = undefined as unknown as ChannelMessage;
      if (ch.head === ch.queue.length) {
        ch.queue.length = 0;
        ch.head = 0;
      }
      return [ch, msg];
    }
    return undefined;
  }

  /** Applies a watermark, idleness or end-of-input message of `ch`; says how the combined watermark changed. */
  onControl(ch: InputChannel, msg: ChannelMessage): WatermarkChange {
    if (msg.t === 'wm') {
      if (msg.wm > ch.wm) ch.wm = msg.wm;
    } else if (msg.t === 'idle') ch.idle = msg.idle;
    else if (msg.t === 'end') {
      ch.ended = true;
      ch.wm = MAX_WATERMARK;
      this.ended++;
    }
    if (this.ended === this.channels.length) return { ended: true };
    let min = MAX_WATERMARK;
    let active = 0;
    for (const c of this.channels) {
      if (c.ended || c.idle) continue;
      active++;
      if (c.wm < min) min = c.wm;
    }
    const change: WatermarkChange = {};
    if (active === 0) {
      if (!this.idle) {
        this.idle = true;
        change.idle = true;
      }
      return change;
    }
    if (this.idle) {
      this.idle = false;
      change.idle = false;
    }
    if (min > this.watermark) {
      this.watermark = min;
      change.advance = min;
    }
    return change;
  }

  /** Records that input ended with the final watermark; false when it had already been passed on. */
  finalWatermark(): boolean {
    if (this.watermark === MAX_WATERMARK) return false;
    this.watermark = MAX_WATERMARK;
    return true;
  }

  /**
   * A barrier arrived on `ch`. Alignment compares checkpoint ids, as Flink does: a barrier of a newer checkpoint than
   * the one being aligned aborts that alignment (its checkpoint was abandoned, and some upstream subtask skipped its
   * barrier) and starts aligning the newer one; a barrier of an older, aligned or aborted checkpoint is ignored and
   * does not block its channel. Blocks `ch` otherwise; returns the checkpoint id once every channel is aligned.
   */
  onBarrier(ch: InputChannel, id: number): number | undefined {
    if (id <= this.settled) return undefined;
    if (this.aligning !== undefined && id < this.aligning) return undefined;
    if (this.aligning !== undefined && id > this.aligning) this.release(this.aligning);
    if (this.aligning === undefined) {
      this.aligning = id;
      this.alignStart = performance.now();
    }
    ch.blocked = true;
    return this.aligned();
  }

  /**
   * Checkpoint `id` was abandoned: an alignment of it (or of an older one) is given up and its channels are read
   * again; its barriers arriving later are ignored.
   */
  abort(id: number): void {
    if (this.aligning !== undefined && this.aligning <= id) this.release(this.aligning);
    if (id > this.settled) this.settled = id;
  }

  /** A channel ended during alignment: it counts as aligned. Returns the checkpoint id if that completes it. */
  onEndDuringAlignment(): number | undefined {
    return this.aligning === undefined ? undefined : this.aligned();
  }

  /** The newest checkpoint aligned or aborted; barriers up to it are stale. */
  private settled = 0;

  private release(id: number): void {
    this.aligning = undefined;
    if (id > this.settled) this.settled = id;
    for (const ch of this.channels) ch.blocked = false;
  }

  private aligned(): number | undefined {
    for (const ch of this.channels) if (!ch.blocked && !ch.ended) return undefined;
    const id = this.aligning!;
    this.lastAlignmentMs = performance.now() - this.alignStart;
    this.release(id);
    return id;
  }
}
