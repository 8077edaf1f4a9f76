/**
 * Gives each parallel subtask its own copy of a user function object, as Flink does by deserialising the function per
 * subtask. Without it, subtasks sharing a thread would share fields a function sets in `open()` (state handles,
 * buffers), mixing up their keys.
 *
 * The copy has the same prototype (so methods and class identity survive). Own data fields are deep-copied with
 * structuredClone where possible; functions and values that cannot be cloned (closures, class instances with
 * private slots) are shared by reference — those must not hold per-subtask state. In particular an arrow-function
 * field still refers to the original object: create such helpers in `open()`.
 */
export function cloneFunctionObject<T extends object>(fn: T): T {
  if (typeof fn === 'function') return fn;
  const copy = Object.create(Object.getPrototypeOf(fn)) as T;
  for (const key of Reflect.ownKeys(fn)) {
    const d = Object.getOwnPropertyDescriptor(fn, key)!;
    if ('value' in d) d.value = cloneValue(d.value);
    Object.defineProperty(copy, key, d);
  }
  return copy;
}

function cloneValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const proto = Object.getPrototypeOf(v);
  // Plain data (objects, arrays, maps, sets, dates) is copied; anything else is shared as it is.
  if (
    proto !== Object.prototype &&
    proto !== Array.prototype &&
    !(v instanceof Map) &&
    !(v instanceof Set) &&
    !(v instanceof Date)
  ) {
    return v;
  }
  try {
    return structuredClone(v);
  } catch {
    return v;
  }
}
