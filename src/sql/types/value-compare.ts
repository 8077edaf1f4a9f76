/**
 * Equality and order of run-time values for SQL comparisons, GREATEST/LEAST, MIN/MAX and IN over values that are
 * not plain numbers, strings or booleans: ROW and ARRAY (arrays, element by element), MAP, BYTES (Uint8Array).
 * Numbers, strings and booleans compare as JavaScript does, which is SQL's order for them (strings by UTF-16 code
 * unit, as Java compares them). NULLs are the caller's business.
 */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    // ANY-typed values from user functions: a number and its text compare equal, as after an implicit cast.
    if ((typeof a === 'number' && typeof b === 'string') || (typeof a === 'string' && typeof b === 'number')) {
      return Number(a) === Number(b);
    }
    return false;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareValues(a, b) === 0;
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !valuesEqual(v, b.get(k))) return false;
    return true;
  }
  return false;
}

/** Negative, zero or positive as `a` sorts before, with or after `b`. NULL sorts first. */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number')
    return a < b ? -1 : a > b ? 1 : Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = (a[i] as number) - (b[i] as number);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (typeof a === 'number' || typeof b === 'number') return Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : 0;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
