import { nextAuction } from './auction-generator.js';
import { ChannelTable, nextBid } from './bid-generator.js';
import { adjustedEventNumber, type GeneratorContext, timestampForEvent } from './context.js';
import { type NexmarkConfig, nexmarkConfig } from './generator-config.js';
import { AUCTION, BID, type NexmarkEvent, PERSON } from './model.js';
import { nextPerson } from './person-generator.js';
import { EventRandom, seedKey } from './seeded-random.js';
import { StringPools } from './strings.js';

interface SeedTables {
  strings: StringPools;
  channels: ChannelTable;
}

/** Tables derived from a seed (~2 MiB of string pools, 10,000 channels: ~20 ms), kept for the last few seeds. */
const tablesBySeed = new Map<number, SeedTables>();

function seedTables(key: number): SeedTables {
  let t = tablesBySeed.get(key);
  if (t === undefined) {
    const rnd = new EventRandom();
    t = { strings: new StringPools(key, rnd), channels: new ChannelTable(key, rnd) };
    if (tablesBySeed.size >= 4) tablesBySeed.delete(tablesBySeed.keys().next().value!);
    tablesBySeed.set(key, t);
  }
  return t;
}

/**
 * The Nexmark event generator: `event(i)` is the event of index i = 0, 1, 2, …, a pure function of the configuration
 * (seed included) and i, so any subset of indices can be generated in any order, on any thread.
 *
 * Event index i has event number n = adjusted(firstEventNumber + i) and event id firstEventId + n. The id decides the
 * kind (id mod 50: 0 person, 1–3 auction, 4–49 bid with the default proportions) and the person and auction ids;
 * n decides the event time. Randomness comes from a stream keyed by (seed, i).
 */
export class NexmarkGenerator implements GeneratorContext {
  readonly config: NexmarkConfig;
  readonly totalProportion: number;
  readonly interEventDelayUs: number;
  readonly rnd = new EventRandom();
  readonly strings: StringPools;
  readonly channels: ChannelTable;
  private readonly key: number;

  /** `config`: overrides of DEFAULT_NEXMARK_CONFIG (validated; throws a RangeError). */
  constructor(config: Partial<NexmarkConfig> = {}) {
    this.config = nexmarkConfig(config);
    const c = this.config;
    this.totalProportion = c.personProportion + c.auctionProportion + c.bidProportion;
    // The reference multiplies by the number of generators, each on its own timeline; ours is one timeline.
    this.interEventDelayUs = 1_000_000 / c.firstEventRate;
    this.key = seedKey(c.seed);
    const t = seedTables(this.key);
    this.strings = t.strings;
    this.channels = t.channels;
  }

  /** The event of index `index` (a safe integer >= 0). */
  event(index: number): NexmarkEvent {
    const c = this.config;
    const number = adjustedEventNumber(c, c.firstEventNumber + index);
    const eventId = c.firstEventId + number;
    const timestamp = timestampForEvent(this, number);
    this.rnd.resetForEvent(this.key, index);
    const rem = eventId % this.totalProportion;
    if (rem < c.personProportion) {
      return { event_type: PERSON, person: nextPerson(this, eventId, timestamp), auction: null, bid: null };
    }
    if (rem < c.personProportion + c.auctionProportion) {
      return { event_type: AUCTION, person: null, auction: nextAuction(this, eventId, number, timestamp), bid: null };
    }
    return { event_type: BID, person: null, auction: null, bid: nextBid(this, eventId, timestamp) };
  }

  /** The event time of event `index`, epoch ms, without generating it. */
  eventTime(index: number): number {
    return timestampForEvent(this, adjustedEventNumber(this.config, this.config.firstEventNumber + index));
  }

  /** The kind of event `index` (PERSON, AUCTION or BID), without generating it. */
  eventType(index: number): typeof PERSON | typeof AUCTION | typeof BID {
    const c = this.config;
    const rem = (c.firstEventId + adjustedEventNumber(c, c.firstEventNumber + index)) % this.totalProportion;
    return rem < c.personProportion ? PERSON : rem < c.personProportion + c.auctionProportion ? AUCTION : BID;
  }
}

const generators = new WeakMap<object, NexmarkGenerator>();

/**
 * Event `index` under `config` (overrides of the defaults). The generator is built once per config object and
 * reused; for many events, hold a `NexmarkGenerator` instead.
 */
export function nexmarkEvent(config: Partial<NexmarkConfig>, index: number): NexmarkEvent {
  let g = generators.get(config);
  if (g === undefined) generators.set(config, (g = new NexmarkGenerator(config)));
  return g.event(index);
}
