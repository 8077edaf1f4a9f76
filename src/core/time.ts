/** Event-time and processing-time constants shared by every layer. Times are epoch milliseconds. */

/** The watermark before any input: nothing is known yet. */
export const MIN_WATERMARK = Number.NEGATIVE_INFINITY;

/**
 * The watermark that ends event time: a bounded input emits it once it is exhausted,
 * which fires every pending event-time timer and window.
 */
export const MAX_WATERMARK = Number.POSITIVE_INFINITY;

/** Timestamp of a record that has none (e.g. from a source without a watermark strategy). */
export const NO_TIMESTAMP = Number.NEGATIVE_INFINITY;

/** A watermark: no record with a timestamp <= this value is expected any more. */
export type Watermark = number;
