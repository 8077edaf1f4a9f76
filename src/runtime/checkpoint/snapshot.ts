import { deserialize, serialize } from 'node:v8';
import { type Key, keyGroupOf, normalizeKey } from '../../core/key.js';
import type { KeyedStateSnapshot, SnapshotEntry } from '../../state/keyed-state-backend.js';
import { unpackPiece } from '../../state/packed-entries.js';
import type { FunctionListSnapshot } from '../operator.js';
import type { LinkRef } from './incremental.js';

/** A pending timer as stored in snapshots of earlier versions (one object per timer). */
interface TimerRow {
  key: Key;
  namespace: string;
  time: number;
  keyGroup: number;
}

/**
 * The pending timers of one timer queue, in columns: timer *i* fires for `keys[i]` in namespace
 * `nsTable[nsIdx[i]]` at `times[i]` and belongs to key group `kgs[i]`.
 */
export interface TimerColumns {
  keys: Key[];
  nsTable: string[];
  nsIdx: Uint32Array;
  times: Float64Array;
  kgs: Uint32Array;
}

/**
 * The columns of `timers`. A timer whose `keyGroup` is negative (not known yet) gets it computed from its key for
 * `maxParallelism`, and kept. (A number rather than a function: a closure made per checkpoint would be a new call
 * target each time, and the optimised code of this loop, which runs once per checkpoint, would be thrown away.)
 */
export function timerColumns(
  timers: readonly { key: Key; namespace: string; time: number; keyGroup: number }[],
  maxParallelism: number,
): TimerColumns {
  const nsTable: string[] = [];
  const nsIndex = new Map<string, number>();
  const keys: Key[] = new Array(timers.length);
  const nsIdx = new Uint32Array(timers.length);
  const times = new Float64Array(timers.length);
  const kgs = new Uint32Array(timers.length);
  let lastNs: string | undefined;
  let lastIdx = 0;
  for (let i = 0; i < timers.length; i++) {
    const t = timers[i]!;
    if (t.namespace !== lastNs) {
      let n = nsIndex.get(t.namespace);
      if (n === undefined) {
        n = nsTable.length;
        nsTable.push(t.namespace);
        nsIndex.set(t.namespace, n);
      }
      lastNs = t.namespace;
      lastIdx = n;
    }
    keys[i] = t.key;
    nsIdx[i] = lastIdx;
    times[i] = t.time;
    kgs[i] = t.keyGroup >= 0 ? t.keyGroup : (t.keyGroup = keyGroupOf(normalizeKey(t.key), maxParallelism));
  }
  return { keys, nsTable, nsIdx, times, kgs };
}

/** The state of one operator (by uid) in one subtask. */
export interface OperatorSnapshot {
  /** Keyed state, per key group; with an incremental backend, the link of this checkpoint (maybe only a delta). */
  keyed?: KeyedStateSnapshot;
  /** With an incremental backend: the earlier links `keyed` builds on, oldest first (empty for a full link). */
  keyedChain?: LinkRef[];
  /** Timers of each timer queue the operator created, in creation order. */
  timers?: TimerColumns[];
  /** Operator (non-keyed) state: whatever the operator's snapshotState returned. */
  operator?: unknown;
  /** A source reader's position. */
  source?: unknown;
  /** The list the operator's user function keeps (ListCheckpointed). */
  list?: FunctionListSnapshot;
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

/** Keyed entries per serialised piece of rows: bounds the time one piece blocks the thread. */
const ENTRIES_PER_PIECE = 5000;

/** A piece of keyed entries in rows (snapshots of backends other than the heap backend's asynchronous one). */
interface KeyedPiece {
  uid: string;
  state: string;
  keyGroup: number;
  entries: SnapshotEntry[];
}

/** Announces that the next frame holds a packed piece (`state/packed-entries.ts`) of the operator's keyed state. */
interface PackedPieceHeader {
  uid: string;
  packed: true;
}

/** The timers of an operator in columns (one per timer queue), instead of one object per timer in the skeleton. */
interface TimerColumnsPiece {
  uid: string;
  timerColumns: TimerColumns[];
}

/**
 * Serialises a snapshot as a sequence of frames, each `[u32 length][bytes]`: first the snapshot without its keyed
 * entries and timers (the skeleton), then, per operator, its timers in columns, its keyed entries in pieces of rows
 * and its packed pieces (each a header frame `{uid, packed: true}` followed by a frame of the piece's bytes). The
 * writer yields to the event loop between frames, so a large state is written while processing continues. Node's
 * structured-clone serializer keeps Maps, Sets, typed arrays, bigints and Dates that user state may hold.
 */
export function* encodeSnapshot(s: SubtaskSnapshot): Generator<Buffer> {
  const skeleton: SubtaskSnapshot = { ...s, operators: {} };
  for (const [uid, op] of Object.entries(s.operators)) {
    const { packed: _, ...keyed } = op.keyed ?? { states: {}, maxParallelism: 0 };
    // Other fields of the keyed snapshot (an incremental link's version and tombstones) stay in the skeleton.
    skeleton.operators[uid] =
      op.keyed === undefined
        ? { ...op, timers: undefined }
        : { ...op, timers: undefined, keyed: { ...keyed, states: {} } };
    if (op.keyed !== undefined)
      for (const state of Object.keys(op.keyed.states)) skeleton.operators[uid].keyed!.states[state] = {};
  }
  yield framed(serialize(skeleton));
  for (const [uid, op] of Object.entries(s.operators)) {
    if (op.timers !== undefined) {
      const piece: TimerColumnsPiece = { uid, timerColumns: op.timers };
      yield framed(serialize(piece));
    }
    if (op.keyed === undefined) continue;
    for (const [state, perGroup] of Object.entries(op.keyed.states)) {
      for (const [kg, entries] of Object.entries(perGroup)) {
        for (let i = 0; i < entries.length; i += ENTRIES_PER_PIECE) {
          const piece: KeyedPiece = {
            uid,
            state,
            keyGroup: Number(kg),
            entries: entries.slice(i, i + ENTRIES_PER_PIECE),
          };
          yield framed(serialize(piece));
        }
      }
    }
    for (const bytes of op.keyed.packed ?? []) {
      const header: PackedPieceHeader = { uid, packed: true };
      yield framed(serialize(header));
      // The length apart from the bytes: framing would copy every packed piece once more (a 1 GB state's pieces,
      // and as much new external memory again while the file is written, which V8 answers with full collections).
      yield frameLength(bytes.length);
      yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    }
  }
}

function frameLength(length: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(length, 0);
  return out;
}

function framed(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + bytes.length);
  out.writeUInt32BE(bytes.length, 0);
  out.set(bytes, 4);
  return out;
}

/**
 * Parses a state file's payload written by {@link encodeSnapshot}, or by earlier versions (which had no timer and
 * packed frames: timers were in the skeleton). Keyed entries come back in rows, values freshly deserialised.
 */
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
  for (const op of Object.values(snapshot.operators) as (OperatorSnapshot & { timers?: unknown[] })[]) {
    if (op.timers === undefined) delete op.timers;
    // Earlier versions kept one object per timer in the skeleton.
    // (Their rows always carry the key group, so no maximum parallelism is needed.)
    else op.timers = (op.timers as TimerRow[][]).map((rows) => timerColumns(rows, 0));
  }
  for (let b = next(); b !== undefined; b = next()) {
    const piece = deserialize(b) as KeyedPiece | PackedPieceHeader | TimerColumnsPiece;
    const op = snapshot.operators[piece.uid]!;
    if ('timerColumns' in piece) op.timers = piece.timerColumns;
    else if ('packed' in piece) unpackPiece(next()!, op.keyed!.states);
    else {
      const list = (op.keyed!.states[piece.state]![piece.keyGroup] ??= []);
      for (const e of piece.entries) list.push(e);
    }
  }
  return snapshot;
}
