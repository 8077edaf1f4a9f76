/**
 * Counter-based randomness: every event gets its own short random stream, derived from (seed, event index) alone, so
 * an event can be generated without generating the ones before it — at any parallelism, after any restore.
 *
 * The stream is a Weyl sequence (`s += golden ratio`) xor a second per-event key, finalised by MurmurHash3's 32-bit
 * mixer. Two keys make distinct events' streams unrelated: with the key alone, about one pair in 2^32 would share a
 * stream shifted by a few draws. Statistical quality is ample for synthetic data; this is not for cryptography.
 */

const TWO_POW_32 = 4294967296;
const INV_TWO_POW_32 = 1 / TWO_POW_32;

/** MurmurHash3's finaliser: a bijection of 32-bit integers with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit key for a seed (any safe integer, negative included). */
export function seedKey(seed: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  return fmix32(lo ^ fmix32((hi + 0x632be5ab) >>> 0));
}

/** Stream numbers at and above this are reserved for tables derived from the seed (events use `hi` < 2^21). */
export const TABLE_STREAM = 0xfffffff0;

export class EventRandom {
  private s = 0;
  private k = 0;

  /** Starts the stream of event `index` (a safe integer >= 0) under a seed key. */
  resetForEvent(key: number, index: number): void {
    this.reset(key, index >>> 0, Math.floor(index * INV_TWO_POW_32));
  }

  /** Starts the stream named by (lo, hi) under a seed key. */
  reset(key: number, lo: number, hi: number): void {
    const h = fmix32((hi ^ 0x27d4eb2f) >>> 0);
    this.s = fmix32((key + fmix32((lo ^ h) >>> 0)) >>> 0) | 0;
    this.k = fmix32((Math.imul(lo, 0x9e3779b1) ^ key ^ Math.imul(hi, 0x85ebca77)) >>> 0) | 0;
  }

  /** A uniform integer in [0, 2^32). */
  nextU32(): number {
    this.s = (this.s + 0x9e3779b9) | 0;
    let h = this.s ^ this.k;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }

  /** A uniform integer in [0, n), n a positive integer below 2^21 (exact: u * n < 2^53). */
  int(n: number): number {
    return Math.floor(this.nextU32() * n * INV_TWO_POW_32);
  }

  /**
   * A uniform integer in [0, n) for any positive safe integer n (the reference's `LongGenerator.nextLong`, whose
   * n >= 2^31 branch is skewed; ours is not).
   */
  long(n: number): number {
    if (n < 2097152) return this.int(n);
    const u53 = ((this.nextU32() >>> 11) * TWO_POW_32 + this.nextU32()) / 9007199254740992;
    return Math.min(n - 1, Math.floor(u53 * n));
  }

  /** A uniform double in [0, 1) with 32 bits of resolution. */
  double(): number {
    return this.nextU32() * INV_TWO_POW_32;
  }
}
