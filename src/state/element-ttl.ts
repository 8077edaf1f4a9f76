import type { StateTtlConfig } from './descriptors.js';

/** A list element or map entry of a state with TTL: its value and its expiry time. */
export type Wrapped = { v: unknown; e: number };

/** Returned by {@link ElementTtl.read} for an element that is expired and not visible any more. */
export const EXPIRED = Symbol('expired');

/**
 * TTL per element of a list or per entry of a map, as in Flink: each element expires on its own. Elements are
 * stored as `{ v, e }` (value, expiry) when the state has a TTL, as plain values otherwise. Shared by all backends.
 */
export class ElementTtl {
  constructor(
    private readonly ttl: StateTtlConfig,
    private readonly clock: () => number,
  ) {}
  wrap(v: unknown): Wrapped {
    return { v, e: this.clock() + this.ttl.ttlMs };
  }
  /** The value if visible now (refreshing its expiry on read when configured), else `EXPIRED`. */
  read(stored: Wrapped): unknown {
    const now = this.clock();
    if (stored.e <= now) return this.ttl.visibility === 'returnExpiredIfNotCleanedUp' ? stored.v : EXPIRED;
    if (this.ttl.updateType === 'onReadAndWrite') stored.e = now + this.ttl.ttlMs;
    return stored.v;
  }
  isExpired(stored: Wrapped): boolean {
    return stored.e <= this.clock();
  }
  /** Whether reading elements changes them (their expiry), so that a stored entry must be written back. */
  get readWrites(): boolean {
    return this.ttl.updateType === 'onReadAndWrite';
  }
}
