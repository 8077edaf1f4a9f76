import { PlanError } from '../core/errors.js';

/**
 * The address of a function instance: its function type (`namespace/name`, e.g. `shop/inventory`) and an id within
 * that type. Instances are virtual: every address exists and has (possibly empty) state; nothing is created or
 * deleted explicitly.
 */
export interface Address {
  readonly type: string;
  readonly id: string;
}

const TYPE = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;

/** True for a valid function type name: `namespace/name` segments of letters, digits, `_`, `.` and `-`. */
export function isValidType(type: string): boolean {
  return TYPE.test(type);
}

/** @throws PlanError for an invalid type name. */
export function checkType(type: string): string {
  if (!isValidType(type)) {
    throw new PlanError(
      `invalid function type '${type}': expected 'namespace/name' (letters, digits, '_', '.', '-' separated by '/')`,
    );
  }
  return type;
}

/** The address of instance `id` of function type `type`. */
export function address(type: string, id: string | number): Address {
  const s = String(id);
  if (s === '') throw new Error(`the id of an address of '${type}' must not be empty`);
  return { type: checkType(type), id: s };
}

/** The string form `type:id` used in state, messages and the wire protocol (types never contain ':'). */
export function addressKey(a: Address): string {
  return `${a.type}:${a.id}`;
}

/** The address of a `type:id` string. */
export function parseAddressKey(key: string): Address {
  const i = key.indexOf(':');
  return { type: key.slice(0, i), id: key.slice(i + 1) };
}

/** The function type of a `type:id` string. */
export function typeOfKey(key: string): string {
  return key.slice(0, key.indexOf(':'));
}
