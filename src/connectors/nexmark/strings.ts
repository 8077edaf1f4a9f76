import { type EventRandom, TABLE_STREAM } from './seeded-random.js';

/**
 * Random strings as the reference's `StringsGenerator` makes them, but cut from precomputed pools.
 *
 * The reference builds every string character by character (one `nextInt` per character, ~50 characters per bid and
 * ~500 per auction). Here each string is a slice of a 1 MiB pool of characters drawn once per seed with the
 * reference's per-character distribution, at a random offset: one or two random numbers per string and no copying
 * (V8 represents a slice of 13 or more characters as a view of the pool). Lengths follow the reference exactly;
 * characters are those of the reference's distribution, though two strings cut at nearby offsets share characters.
 */

/** Smallest length of `nextString` before trimming (reference value). */
export const MIN_STRING_LENGTH = 3;

const POOL_SIZE = 1 << 20;

export class StringPools {
  /** Characters of `nextString`: a space with probability 1/13, else a letter a–z. */
  readonly words: string;
  /**
   * Characters of `nextExactString`: the reference takes 6 characters from each `nextInt()` as `'a' + rnd % 26`,
   * `rnd /= 26` on a signed int, so runs from negative ints fall in 'H'..'a' (backslash included). Reproduced.
   */
  readonly exact: string;

  constructor(key: number, rnd: EventRandom) {
    const bytes = new Uint8Array(POOL_SIZE);
    rnd.reset(key, 0, TABLE_STREAM);
    for (let i = 0; i < POOL_SIZE; i++) bytes[i] = rnd.int(13) === 0 ? 0x20 : 0x61 + rnd.int(26);
    this.words = Buffer.from(bytes.buffer).toString('latin1');
    rnd.reset(key, 1, TABLE_STREAM);
    for (let i = 0; i < POOL_SIZE; ) {
      let v = rnd.nextU32() | 0;
      for (let n = 0; n < 6 && i < POOL_SIZE; n++, i++) {
        bytes[i] = 0x61 + (v % 26);
        v = (v / 26) | 0;
      }
    }
    this.exact = Buffer.from(bytes.buffer).toString('latin1');
  }

  /** A random string of 3 to maxLength - 1 characters, trimmed (reference `nextString`). */
  nextString(rnd: EventRandom, maxLength: number): string {
    const len = MIN_STRING_LENGTH + rnd.int(maxLength - MIN_STRING_LENGTH);
    const at = rnd.int(POOL_SIZE - len + 1);
    return this.words.slice(at, at + len).trim();
  }

  /**
   * Padding such that `currentSize + extra.length` is on average `desiredAverageSize` (reference `nextExtra`): empty
   * when currentSize already exceeds it, else uniform in [avg - delta, avg + delta) with delta = round(20% of avg),
   * where avg = desiredAverageSize - currentSize.
   */
  nextExtra(rnd: EventRandom, currentSize: number, desiredAverageSize: number): string {
    if (currentSize > desiredAverageSize) return '';
    const avg = desiredAverageSize - currentSize;
    const delta = Math.round(avg * 0.2);
    const size = avg - delta + (delta === 0 ? 0 : rnd.int(2 * delta));
    if (size > POOL_SIZE) return this.exact.repeat(Math.ceil(size / POOL_SIZE)).slice(0, size);
    const at = rnd.int(POOL_SIZE - size + 1);
    return this.exact.slice(at, at + size);
  }
}

/**
 * A random string built character by character (for tables built once per seed): 3 to maxLength - 1 characters,
 * each `special` with probability 1/13, else a letter; trimmed of spaces (reference `nextString(random, max, special)`).
 */
export function buildString(rnd: EventRandom, maxLength: number, special: string): string {
  let len = MIN_STRING_LENGTH + rnd.int(maxLength - MIN_STRING_LENGTH);
  let s = '';
  while (len-- > 0) s += rnd.int(13) === 0 ? special : String.fromCharCode(0x61 + rnd.int(26));
  return s.trim();
}
