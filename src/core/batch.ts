/**
 * A batch: the unit operators receive and emit. `values[i]` carries the event timestamp `timestamps[i]`
 * (NO_TIMESTAMP when it has none). Both arrays always have the same length.
 */
export interface Batch<T = unknown> {
  values: T[];
  timestamps: number[];
}

export function emptyBatch<T>(): Batch<T> {
  return { values: [], timestamps: [] };
}
