import { typeOfKey } from './address.js';
import { type Keyspace, type NsValue, nsClear, nsGet, nsSet } from './keyspace.js';

/** The stored state of one instance: values by name and, for expiring values, their expiry times. */
export interface InstanceRecord {
  v: Record<string, unknown>;
  e?: Record<string, number>;
}

/** An instance's state as loaded for an invocation. */
export interface Loaded {
  rec: InstanceRecord | undefined;
  /** Expired values were dropped: the record must be written back. */
  dirty: boolean;
  /** The values the function sees: stored ones over the type's defaults. */
  state: Record<string, unknown>;
}

/**
 * Instance state in keyed state: one JSON string per instance (a string costs nothing to copy in a snapshot), under
 * the instance's address as key, in the void namespace.
 */
export class Instances {
  constructor(
    private readonly ks: Keyspace,
    private readonly inst: NsValue,
    private readonly defaults: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
  ) {}

  /** The current key's instance state, with values expired at `now` dropped. */
  load(now: number): Loaded {
    const raw = nsGet(this.inst, '');
    const rec = raw === undefined ? undefined : (JSON.parse(raw) as InstanceRecord);
    let dirty = false;
    if (rec?.e !== undefined) {
      for (const name in rec.e) {
        if (rec.e[name]! <= now) {
          delete rec.v[name];
          delete rec.e[name];
          dirty = true;
        }
      }
    }
    const defaults = this.defaults.get(typeOfKey(this.ks.key!));
    const values = rec?.v ?? {};
    return { rec, dirty, state: defaults === undefined ? values : { ...defaults, ...values } };
  }

  /** Writes the current key's instance state (none left: removes it). */
  save(rec: InstanceRecord | undefined): void {
    if (rec === undefined || isEmpty(rec.v)) {
      nsClear(this.inst, '');
      return;
    }
    if (rec.e !== undefined && isEmpty(rec.e)) delete rec.e;
    nsSet(this.inst, '', JSON.stringify(rec));
  }

  /** Drops the current key's expired values (a sweep). */
  sweep(now: number): void {
    const loaded = this.load(now);
    if (loaded.dirty) this.save(loaded.rec);
  }
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}
