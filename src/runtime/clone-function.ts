import { PlanError } from '../core/errors.js';

/**
 * Gives each parallel subtask its own copy of a user function object, as Flink does by deserialising the function per
 * subtask. Without it, subtasks sharing a thread would share fields a function sets in `open()` (state handles,
 * buffers), mixing up their keys.
 *
 * The copy has the same prototype (so methods and class identity survive). Own data fields holding plain data
 * (objects, arrays, maps, sets, dates) are deep-copied with structuredClone; functions and class instances are
 * shared by reference — those must not hold per-subtask state. In particular an arrow-function field still refers
 * to the original object: create such helpers in `open()`.
 *
 * @param operator names the operator in the error, e.g. `'count' (uid count-1)`.
 * @throws PlanError naming the operator and the field when a plain-data field holds something structuredClone
 *   cannot copy (a function inside an object, for instance) or would copy without its class (an instance of a
 *   class inside an array or map): sharing it silently could mix up subtasks, and a copy without methods breaks.
 */
export function cloneFunctionObject<T extends object>(fn: T, operator = 'an operator'): T {
  if (typeof fn === 'function') return fn;
  const copy = Object.create(Object.getPrototypeOf(fn)) as T;
  for (const key of Reflect.ownKeys(fn)) {
    const d = Object.getOwnPropertyDescriptor(fn, key)!;
    if ('value' in d) {
      try {
        d.value = cloneValue(d.value);
      } catch (e) {
        throw new PlanError(
          `the function object of operator ${operator} cannot be copied for each parallel subtask: its field '${String(key)}' ${
            (e as Error).message
          }; create that value in open() instead, or run one subtask per thread`,
        );
      }
    }
    Object.defineProperty(copy, key, d);
  }
  return copy;
}

/** A copy of plain data; anything else as it is. @throws Error saying why when plain data cannot be copied. */
function cloneValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const proto = Object.getPrototypeOf(v);
  if (
    proto !== Object.prototype &&
    proto !== Array.prototype &&
    !(v instanceof Map) &&
    !(v instanceof Set) &&
    !(v instanceof Date)
  ) {
    return v;
  }
  const altered = findAlteredByClone(v, '', new Set());
  if (altered !== undefined) {
    throw new Error(`holds ${altered}, which structuredClone would copy as a plain object without its methods`);
  }
  try {
    return structuredClone(v);
  } catch (e) {
    throw new Error(`holds data structuredClone cannot copy (${(e as Error).message})`);
  }
}

/**
 * Where inside plain data a class instance sits (structuredClone keeps its fields but not its prototype), as
 * `a Foo at .items[2]`; undefined when every object inside is plain data structuredClone copies as it is.
 */
function findAlteredByClone(v: unknown, at: string, seen: Set<object>): string | undefined {
  if (v === null || typeof v !== 'object' || seen.has(v)) return undefined;
  seen.add(v);
  const proto = Object.getPrototypeOf(v);
  if (v instanceof Map) {
    for (const [k, x] of v) {
      const found =
        findAlteredByClone(k, `${at} (a key)`, seen) ?? findAlteredByClone(x, `${at}.get(${String(k)})`, seen);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (v instanceof Set) {
    for (const x of v) {
      const found = findAlteredByClone(x, `${at} (an element)`, seen);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (proto === Object.prototype || proto === null || Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) {
      const found = findAlteredByClone(x, Array.isArray(v) ? `${at}[${k}]` : `${at}.${k}`, seen);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (v instanceof Date || v instanceof RegExp || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return undefined;
  // Anything else structuredClone either refuses (reported by its own error) or copies without its class.
  const name = (proto as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? 'object';
  return `a ${name} at ${at === '' ? 'its top level' : at}`;
}
