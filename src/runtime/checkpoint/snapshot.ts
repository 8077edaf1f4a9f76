import { deserialize, serialize } from 'node:v8';
import type { Key } from '../../core/key.js';
import type { KeyedStateSnapshot, SnapshotEntry } from '../../state/keyed-state-backend.js';
import type { LinkRef } from './incremental.js';

/** A pending timer as stored in a snapshot. */
export interface TimerSnapshot {
  key: Key;
  namespace: string;
  time: number;
  keyGroup: number;
}

/** The state of one operator (by uid) in one subtask. */
export interface OperatorSnapshot {
  /** Keyed state, per key group; with an incremental backend, the link of this checkpoint (maybe only a delta). */
  keyed?: KeyedStateSnapshot;
  /** With an incremental backend: the earlier links `keyed` builds on, oldest first (empty for a full link). */
  keyedChain?: LinkRef[];
  /** Timers of each timer queue the operator created, in creation order. */
  timers?: TimerSnapshot[][];
  /** Operator (non-keyed) state: whatever the operator's snapshotState returned. */
  operator?: unknown;
  /** A source reader's position. */
  source?: unknown;
}

/** Everything one subtask contributes to a checkpoint. */
export interface SubtaskSnapshot {
  checkpointId: number;
  vertexId: number;
  vertexName: string;
  subtaskIndex: number;
  parallelism: number;
  /** True when the subtask had consumed all its input when the snapshot was taken. */
  finished: boolean;
  operators: Record<string, OperatorSnapshot>;
}

/** Keyed entries per serialised piece: bounds the time one piece blocks the thread. */
const ENTRIES_PER_PIECE = 5000;

interface KeyedPiece {
  uid: string;
  state: string;
  keyGroup: number;
  entries: SnapshotEntry[];
}

/**
 * Serialises a snapshot as a sequence of pieces, each `[u32 length][v8.serialize bytes]`: first the snapshot without
 * its keyed entries, then keyed entries in pieces of bounded size. The writer yields to the event loop between pieces,
 * so a large state is written while processing continues. Node's structured-clone serializer keeps Maps, Sets, typed
 * arrays, bigints and Dates that user state may hold.
 */
export function* encodeSnapshot(s: SubtaskSnapshot): Generator<Buffer> {
  const pieces: KeyedPiece[] = [];
  const skeleton: SubtaskSnapshot = { ...s, operators: {} };
  for (const [uid, op] of Object.entries(s.operators)) {
    if (op.keyed === undefined) {
      skeleton.operators[uid] = op;
      continue;
    }
    // Other fields of the keyed snapshot (an incremental link's version and tombstones) stay in the skeleton.
    skeleton.operators[uid] = { ...op, keyed: { ...op.keyed, states: {} } };
    for (const [state, perGroup] of Object.entries(op.keyed.states)) {
      skeleton.operators[uid].keyed!.states[state] = {};
      for (const [kg, entries] of Object.entries(perGroup)) {
        for (let i = 0; i < entries.length; i += ENTRIES_PER_PIECE) {
          pieces.push({ uid, state, keyGroup: Number(kg), entries: entries.slice(i, i + ENTRIES_PER_PIECE) });
        }
      }
    }
  }
  yield framed(serialize(skeleton));
  for (const p of pieces) yield framed(serialize(p));
}

function framed(bytes: Buffer): Buffer {
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([header, bytes]);
}

export function decodeSnapshot(payload: Buffer): SubtaskSnapshot {
  let offset = 0;
  const next = (): Buffer | undefined => {
    if (offset >= payload.length) return undefined;
    const len = payload.readUInt32BE(offset);
    const bytes = payload.subarray(offset + 4, offset + 4 + len);
    offset += 4 + len;
    return bytes;
  };
  const snapshot = deserialize(next()!) as SubtaskSnapshot;
  for (let b = next(); b !== undefined; b = next()) {
    const piece = deserialize(b) as KeyedPiece;
    const perGroup = snapshot.operators[piece.uid]!.keyed!.states[piece.state]!;
    const list = (perGroup[piece.keyGroup] ??= []);
    for (const e of piece.entries) list.push(e);
  }
  return snapshot;
}
