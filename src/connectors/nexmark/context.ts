import type { ChannelTable } from './bid-generator.js';
import type { NexmarkConfig } from './generator-config.js';
import type { EventRandom } from './seeded-random.js';
import type { StringPools } from './strings.js';

/** What the person, auction and bid generators draw on: the configuration, the event's random stream, seed tables. */
export interface GeneratorContext {
  readonly config: NexmarkConfig;
  /** personProportion + auctionProportion + bidProportion. */
  readonly totalProportion: number;
  /** Event-time distance of consecutive event numbers, µs (1e6 / firstEventRate). */
  readonly interEventDelayUs: number;
  /** Positioned at the current event's stream. */
  readonly rnd: EventRandom;
  readonly strings: StringPools;
  readonly channels: ChannelTable;
}

/** Event time of event number n: `baseTime + floor(floor(n * interEventDelayUs) / 1000)` (reference). */
export function timestampForEvent(ctx: GeneratorContext, n: number): number {
  return ctx.config.baseTime + Math.floor(Math.floor(n * ctx.interEventDelayUs) / 1000);
}

/**
 * Event number n shuffled within its group of `outOfOrderGroupSize` (reference `nextAdjustedEventNumber`:
 * group base + n * 953 mod group size); n itself when the group size is 1.
 */
export function adjustedEventNumber(config: NexmarkConfig, n: number): number {
  const g = config.outOfOrderGroupSize;
  if (g === 1) return n;
  const r = n % g;
  return n - r + ((r * (953 % g)) % g);
}
