import { deserialize, serialize } from 'node:v8';
import { Packr } from 'msgpackr';
import type { Key } from '../../core/key.js';

/**
 * What the disk store keeps per entry: the original key and namespace (the store key holds only normalised or hashed
 * forms of them, and snapshots and forEachKey need the originals), the value and the expiry time.
 */
export type StoredRecord = [key: Key, namespace: string, value: unknown, expires?: number];

type WellFormed = { isWellFormed(): boolean };

/** False when a string in the key holds a lone surrogate, which msgpackr (UTF-8) would replace by U+FFFD. */
function isExactInUtf8(key: Key): boolean {
  if (typeof key === 'string') return (key as unknown as WellFormed).isWellFormed();
  if (Array.isArray(key)) return key.every(isExactInUtf8);
  return true;
}

/**
 * Encodes records with msgpackr (measured 2 to 2.5 times faster than v8.serialize for state-sized values, see
 * bench/state-backends.ts). Options:
 * - records with shared structures kept in this instance: object shapes are written once, not per value. The
 *   structures never need to be persisted because the store lives and dies with the backend, and values leave it
 *   only decoded (in snapshots);
 * - `moreTypes`: Map (MapState values), Set, Date, RegExp, Error and typed arrays round-trip;
 * - `useBigIntExtension`: bigint keys and values of any size round-trip;
 * - `copyBuffers`: decoded binary data must not alias LMDB's reusable read buffer.
 *
 * Keys must come back exactly (they identify entries in snapshots): a key with a lone surrogate is stored as its
 * v8.serialize bytes instead, which msgpackr returns as a Uint8Array (never a key otherwise).
 *
 * Differences from structuredClone (what the heap backend's snapshots do) in values: -0 is read back as 0, holes in
 * sparse arrays as undefined, lone surrogates in strings as U+FFFD, and functions are dropped rather than refused.
 */
export class RecordCodec {
  private readonly packr = new Packr({
    structures: [],
    moreTypes: true,
    useBigIntExtension: true,
    copyBuffers: true,
  });

  encode(record: StoredRecord): Buffer {
    if (!isExactInUtf8(record[0])) {
      const escaped: unknown[] = record.slice();
      escaped[0] = serialize(record[0]);
      return this.packr.pack(escaped);
    }
    return this.packr.pack(record);
  }

  decode(bytes: Uint8Array): StoredRecord {
    const record = this.packr.unpack(bytes) as StoredRecord;
    const key: unknown = record[0];
    if (key instanceof Uint8Array) record[0] = deserialize(key) as Key;
    return record;
  }
}
