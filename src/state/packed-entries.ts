import { deserialize, serialize } from 'node:v8';
import type { Key } from '../core/key.js';
import type { KeyedStateSnapshot, SnapshotEntry } from './keyed-state-backend.js';

/**
 * Keyed state entries of one state, serialised in columns (a "packed piece"):
 * `{ state, kgs: Uint32Array, keys: Key[], nsTable: string[], nsIdx: Uint32Array, values: unknown[],
 * expires?: Float64Array }` through `v8.serialize`, entry *i* being `[keys[i], nsTable[nsIdx[i]], values[i],
 * expires[i]]` in key group `kgs[i]` (an expiry of NaN means none). Columns serialise and parse several times
 * faster than one small array per entry, and a namespace shared by many entries (a window) is stored once.
 *
 * Serialising is also the snapshot's copy of each value: bytes cannot change when the live value is mutated later,
 * so the heap backend needs no structured clone of values it packs.
 */
interface PackedColumns {
  state: string;
  kgs: Uint32Array;
  keys: Key[];
  nsTable: string[];
  nsIdx: Uint32Array;
  values: unknown[];
  expires?: Float64Array;
}

/** Collects entries of one state and serialises them as one packed piece. */
export class PackedPieceBuilder {
  private kgs: number[] = [];
  private keys: Key[] = [];
  private nsIdx: number[] = [];
  private nsTable: string[] = [];
  private nsIndex = new Map<string, number>();
  private values: unknown[] = [];
  private expires: number[] | undefined;

  constructor(readonly state: string) {}

  get size(): number {
    return this.keys.length;
  }

  /** Adds an entry; `value` is referenced until {@link take}, which must run before it can change. */
  add(keyGroup: number, key: Key, ns: string, value: unknown, expires: number | undefined): void {
    let i = this.nsIndex.get(ns);
    if (i === undefined) {
      i = this.nsTable.length;
      this.nsTable.push(ns);
      this.nsIndex.set(ns, i);
    }
    if (expires !== undefined && this.expires === undefined) this.expires = new Array(this.keys.length).fill(NaN);
    this.kgs.push(keyGroup);
    this.keys.push(key);
    this.nsIdx.push(i);
    this.values.push(value);
    this.expires?.push(expires ?? NaN);
  }

  /** Serialises what was added (undefined when nothing was) and starts over. */
  take(): Buffer | undefined {
    if (this.keys.length === 0) return undefined;
    const columns: PackedColumns = {
      state: this.state,
      kgs: Uint32Array.from(this.kgs),
      keys: this.keys,
      nsTable: this.nsTable,
      nsIdx: Uint32Array.from(this.nsIdx),
      values: this.values,
    };
    if (this.expires !== undefined) columns.expires = Float64Array.from(this.expires);
    const bytes = serialize(columns);
    this.kgs = [];
    this.keys = [];
    this.nsIdx = [];
    this.nsTable = [];
    this.nsIndex = new Map();
    this.values = [];
    this.expires = undefined;
    return bytes;
  }
}

/**
 * Adds the entries of a packed piece to `states` (per state, per key group), as rows. Values are freshly
 * deserialised: nothing else references them.
 * @throws Error when the bytes are not a packed piece.
 */
export function unpackPiece(bytes: Uint8Array, states: KeyedStateSnapshot['states']): void {
  const c = deserialize(bytes) as PackedColumns;
  if (typeof c?.state !== 'string' || !(c.kgs instanceof Uint32Array) || !Array.isArray(c.keys)) {
    throw new Error('a packed keyed-state piece has an unknown format');
  }
  const perGroup = (states[c.state] ??= {});
  const { kgs, keys, nsTable, nsIdx, values, expires } = c;
  let kg = -1;
  let list: SnapshotEntry[] = [];
  for (let i = 0; i < keys.length; i++) {
    if (kgs[i] !== kg) {
      kg = kgs[i]!;
      list = perGroup[kg] ??= [];
    }
    const x = expires?.[i];
    list.push(
      x === undefined || Number.isNaN(x)
        ? [keys[i]!, nsTable[nsIdx[i]!]!, values[i]]
        : [keys[i]!, nsTable[nsIdx[i]!]!, values[i], x],
    );
  }
}

/**
 * A keyed snapshot in rows: `packed` pieces (of an asynchronous heap snapshot) are unpacked into `states`.
 * Snapshots without pieces are returned as they are.
 */
export function unpackSnapshot(s: KeyedStateSnapshot): KeyedStateSnapshot {
  if (s.packed === undefined || s.packed.length === 0) return s;
  const states: KeyedStateSnapshot['states'] = {};
  for (const [name, perGroup] of Object.entries(s.states)) {
    const target = (states[name] ??= {});
    for (const [kg, entries] of Object.entries(perGroup)) (target[Number(kg)] ??= []).push(...entries);
  }
  for (const p of s.packed) unpackPiece(p, states);
  return { maxParallelism: s.maxParallelism, states };
}
