import { createHash } from 'node:crypto';
import type { NormalizedKey } from '../../core/key.js';

/**
 * Binary keys of the disk store.
 *
 * Layout: `[key group: u16 BE][state id: u16 BE][namespace][normalised key]`, where
 * - the key group comes first so that all entries of one key group are contiguous (snapshots and restores per key
 *   group are range scans) and a scan in key order visits the groups in order;
 * - the state id numbers the state names of one backend (names are long and repeated in every key otherwise);
 * - the namespace is `[form: u8][length: u16 BE][bytes]`: a length prefix, not a terminator, so that any string is a
 *   namespace and `[group][state]['']` is the exact prefix of the void namespace (forEachKey scans it);
 * - the normalised key is last and unterminated: `[form: u8][bytes]`.
 *
 * Strings are UTF-8 when well-formed (the common case, half the size of UTF-16) and UTF-16LE when they hold a lone
 * surrogate, which UTF-8 cannot represent (two such strings would otherwise collide). Namespaces and keys too long for
 * LMDB's 1978-byte key limit are replaced by their SHA-256: the entry's value keeps the original key and namespace,
 * so nothing is lost, and a collision of SHA-256 is not a practical concern.
 */

const FORM_UTF8 = 0;
const FORM_UTF16 = 1;
const FORM_SHA256 = 2;
const FORM_NUMBER = 3;

/** Namespaces and string keys longer than this (in encoded bytes) are hashed; keeps every key below LMDB's limit. */
const MAX_INLINE_BYTES = 900;

/** Size of the scratch buffer: header 4 + namespace 3 + 900 + key 1 + 900, rounded up. */
const SCRATCH_BYTES = 2048;

type WellFormed = { isWellFormed(): boolean };

function isWellFormed(s: string): boolean {
  return (s as unknown as WellFormed).isWellFormed();
}

/**
 * Writes store keys into one reusable buffer. LMDB copies a key when it is used, so a key may be built in the
 * scratch buffer, passed to one get/put/remove, and then overwritten; callers copy it where they keep it.
 */
export class StoreKeyWriter {
  private readonly buf = Buffer.allocUnsafe(SCRATCH_BYTES);

  /** The key of an entry, valid until the next call of any method of this writer. */
  entry(keyGroup: number, stateId: number, namespace: string, key: NormalizedKey): Buffer {
    let p = this.header(keyGroup, stateId);
    p = this.writeNamespace(p, namespace);
    p = this.writeKey(p, key);
    return this.buf.subarray(0, p);
  }

  /** The prefix shared by all entries of one state in one namespace and key group (for range scans). */
  namespacePrefix(keyGroup: number, stateId: number, namespace: string): Buffer {
    const p = this.writeNamespace(this.header(keyGroup, stateId), namespace);
    return this.buf.subarray(0, p);
  }

  private header(keyGroup: number, stateId: number): number {
    this.buf.writeUInt16BE(keyGroup, 0);
    this.buf.writeUInt16BE(stateId, 2);
    return 4;
  }

  private writeNamespace(p: number, ns: string): number {
    const buf = this.buf;
    // Fast path: the void namespace.
    if (ns.length === 0) {
      buf[p] = FORM_UTF8;
      buf.writeUInt16BE(0, p + 1);
      return p + 3;
    }
    const [form, bytes] = this.stringForm(ns, p + 3);
    buf[p] = form;
    buf.writeUInt16BE(bytes, p + 1);
    return p + 3 + bytes;
  }

  private writeKey(p: number, key: NormalizedKey): number {
    const buf = this.buf;
    if (typeof key === 'number') {
      buf[p] = FORM_NUMBER;
      // -0 and 0 are one key (normalizeKey leaves -0 as it is; the heap backend's Map treats them as equal).
      buf.writeDoubleBE(key === 0 ? 0 : key, p + 1);
      return p + 9;
    }
    const [form, bytes] = this.stringForm(key, p + 1);
    buf[p] = form;
    return p + 1 + bytes;
  }

  /** Writes `s` at `at` in the shortest exact form that fits; returns the form and the number of bytes written. */
  private stringForm(s: string, at: number): [form: number, bytes: number] {
    const buf = this.buf;
    if (isWellFormed(s)) {
      // A UTF-8 string takes at most 3 bytes per UTF-16 code unit; short strings need no length check.
      if (s.length * 3 <= MAX_INLINE_BYTES) return [FORM_UTF8, buf.write(s, at, 'utf8')];
      if (Buffer.byteLength(s, 'utf8') <= MAX_INLINE_BYTES) return [FORM_UTF8, buf.write(s, at, 'utf8')];
    } else if (s.length * 2 <= MAX_INLINE_BYTES) {
      return [FORM_UTF16, buf.write(s, at, 'utf16le')];
    }
    const digest = createHash('sha256')
      .update(s, isWellFormed(s) ? 'utf8' : 'utf16le')
      .digest();
    return [FORM_SHA256, digest.copy(buf, at)];
  }
}

/** The key group of a store key. */
export function keyGroupOfStoreKey(key: Uint8Array): number {
  return (key[0]! << 8) | key[1]!;
}

/** The state id of a store key. */
export function stateIdOfStoreKey(key: Uint8Array): number {
  return (key[2]! << 8) | key[3]!;
}

/** The first key after every key that starts with `prefix` (prefix is not all 0xff bytes). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  let i = end.length - 1;
  while (i >= 0 && end[i] === 0xff) i--;
  end[i] = end[i]! + 1;
  return end.subarray(0, i + 1);
}
