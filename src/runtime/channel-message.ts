import type { Batch } from '../core/batch.js';

/**
 * What travels on a channel between two subtasks, in order: batches of records and in-band control events.
 * A channel is identified by (edge id, sending subtask, receiving subtask).
 */
export type ChannelMessage =
  | { readonly t: 'batch'; readonly batch: Batch }
  | { readonly t: 'wm'; readonly wm: number }
  | { readonly t: 'idle'; readonly idle: boolean }
  /** Checkpoint barrier: everything before it belongs to checkpoint `id`, everything after to later ones. */
  | { readonly t: 'barrier'; readonly id: number; readonly full: boolean }
  | { readonly t: 'end' };

/** Delivers channel messages to one receiving subtask and carries credits back to the sender. */
export interface ChannelTransport {
  /** Sends a message on channel (edge, from → to). Data messages use up the sender's credit by their records. */
  send(edge: number, from: number, to: number, message: ChannelMessage): void;
}
