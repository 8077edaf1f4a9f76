/**
 * Keys and key groups.
 *
 * A key is what a key selector returns: a string, number, boolean, bigint or an array of those (a composite key).
 * Every key belongs to exactly one *key group* = hash(key) mod maxParallelism. Keyed state and timers are stored per
 * key group, and subtask i of an operator with parallelism p owns a contiguous range of key groups, so changing the
 * parallelism moves whole key groups and never rehashes a key.
 */

export type KeyPrimitive = string | number | boolean | bigint;
export type Key = KeyPrimitive | readonly Key[];

/** The default number of key groups, i.e. the largest parallelism a keyed operator can later be rescaled to. */
export const DEFAULT_MAX_PARALLELISM = 128;

/**
 * A key in the form used inside state maps: numbers and strings as they are (no allocation on the hot path),
 * everything else as a tagged string that cannot collide with a plain string or number.
 */
export type NormalizedKey = string | number;

export function normalizeKey(key: Key): NormalizedKey {
  switch (typeof key) {
    case 'string': {
      // Tagged forms start with \u0002-\u0004; a string that itself starts with \u0001-\u0004 gets a \u0001 prefix,
      // so no string can equal another key's tagged form. Ordinary strings are returned as they are.
      const c = key.charCodeAt(0);
      return c >= 1 && c <= 4 ? `\u0001${key}` : key;
    }
    case 'number':
      return key;
    case 'boolean':
      return key ? '\u0002t' : '\u0002f';
    case 'bigint':
      return `\u0003${key}`;
    default:
      if (Array.isArray(key)) return normalizeArray(key);
      throw new TypeError(`a key must be a string, number, boolean, bigint or an array of those, got ${describe(key)}`);
  }
}

/**
 * The tagged JSON text of an array key. Composite keys of numbers and strings (SQL GROUP BY / join keys) are written
 * directly: the same text as JSON.stringify, whose replacer function (for bigints) makes it several times slower.
 */
function normalizeArray(key: readonly Key[]): string {
  let s = '\u0004[';
  for (let i = 0; i < key.length; i++) {
    const v = key[i];
    if (i > 0) s += ',';
    if (typeof v === 'number') s += Number.isFinite(v) ? String(v) : 'null';
    else if (typeof v === 'string') s += JSON.stringify(v);
    else return `\u0004${JSON.stringify(key, bigintReplacer)}`;
  }
  return `${s}]`;
}

function bigintReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  return typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;
}

/** 32-bit murmur3 finaliser: spreads the bits of an integer hash. */
function fmix32(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function hashString(s: string): number {
  // FNV-1a over UTF-16 code units, then a murmur finaliser for avalanche.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function hashNumber(n: number): number {
  if (Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff) return fmix32(n | 0);
  f64[0] = n === 0 ? 0 : n; // -0 and 0 are the same key
  return fmix32(u32[0]! ^ Math.imul(u32[1]!, 0x9e3779b1));
}

/** A stable 32-bit hash of a normalised key; identical on every thread and process. */
export function hashKey(key: NormalizedKey): number {
  return typeof key === 'number' ? hashNumber(key) : hashString(key);
}

/** The key group a normalised key belongs to. */
export function keyGroupOf(key: NormalizedKey, maxParallelism: number): number {
  return hashKey(key) % maxParallelism;
}

/** The subtask index that owns a key group when an operator runs with `parallelism` subtasks. */
export function subtaskForKeyGroup(keyGroup: number, maxParallelism: number, parallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The half-open range [start, end) of key groups owned by a subtask. Inverse of {@link subtaskForKeyGroup}. */
export function keyGroupRange(subtask: number, maxParallelism: number, parallelism: number): [number, number] {
  const start = Math.ceil((subtask * maxParallelism) / parallelism);
  const end = Math.ceil(((subtask + 1) * maxParallelism) / parallelism);
  return [start, end];
}
