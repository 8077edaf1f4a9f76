/**
 * Configuration of the Nexmark generator. Defaults are those of the reference generator (nexmark/nexmark,
 * nexmark-flink: `NexmarkConfiguration`, `GeneratorConfig`, the `*Generator` classes), except where noted.
 */

/** Person and auction ids start here, so that queries find matches even on small data sets (reference value). */
export const FIRST_PERSON_ID = 1000;
/** First auction id (reference value). */
export const FIRST_AUCTION_ID = 1000;
/** Categories are FIRST_CATEGORY_ID + [0, NUM_CATEGORIES) (reference values). */
export const FIRST_CATEGORY_ID = 10;
export const NUM_CATEGORIES = 5;
/** Hot auctions, sellers and bidders are the first (sellers) or second (bidders) id of each block of 100. */
export const HOT_AUCTION_RATIO = 100;
export const HOT_SELLER_RATIO = 100;
export const HOT_BIDDER_RATIO = 100;
/** Ids chosen at random may run this many ahead of the last generated person / auction ("leads"). */
export const PERSON_ID_LEAD = 10;
export const AUCTION_ID_LEAD = 10;

export interface NexmarkConfig {
  /**
   * Seed of all randomness (any safe integer). Event i is a pure function of the configuration (seed included) and
   * i. The reference uses an unseeded `java.util.Random`, so its streams differ on every run.
   */
  seed: number;
  /**
   * Event time of event number 0, epoch ms. The reference uses the wall clock at start-up
   * (`System.currentTimeMillis()`); a fixed base keeps the stream reproducible, so the default is 0.
   */
  baseTime: number;
  /**
   * Events per second of event time: event number n has time `baseTime + floor(floor(n * 1e6 / rate) / 1000)`
   * (reference default 10,000, i.e. 100 µs apart). This is event time only; see `ratePerSecond` of the source for
   * wall-clock pacing.
   */
  firstEventRate: number;
  /** Proportions of persons, auctions and bids: event id e is a person if e mod 50 < 1, an auction if < 4. */
  personProportion: number;
  auctionProportion: number;
  bidProportion: number;
  /** Average sizes in bytes (8 per number plus string lengths, as the reference counts); `extra` pads to them. */
  avgPersonByteSize: number;
  avgAuctionByteSize: number;
  avgBidByteSize: number;
  /** A bid is for a hot auction with probability 1 - 1/hotAuctionRatio. */
  hotAuctionRatio: number;
  /** An auction is by a hot seller with probability 1 - 1/hotSellersRatio. */
  hotSellersRatio: number;
  /** A bid is by a hot bidder with probability 1 - 1/hotBiddersRatio. */
  hotBiddersRatio: number;
  /** Auctions in flight on average: bids pick among the last this many auctions; sets auction lengths. */
  numInFlightAuctions: number;
  /** Persons considered active: random sellers and bidders are picked among the last this many persons. */
  numActivePeople: number;
  /** Events are shuffled (deterministically) within groups of this many event numbers; 1 = in order. */
  outOfOrderGroupSize: number;
  /**
   * Offsets of event ids and event numbers: event index i has event number `firstEventNumber + i` (its time) and
   * event id `firstEventId + firstEventNumber + i` (its kind and ids). The reference's table source uses 1 and 1,
   * so its stream starts with event id 2 (an auction); 0 and 0 start with person 1000 and auction 1000.
   */
  firstEventId: number;
  firstEventNumber: number;
  /**
   * The reference's `BidGenerator` adds FIRST_PERSON_ID to the bidder twice (nexmark/nexmark issue #30), so bidder
   * ids are 1000 above person ids. `true` (the default) reproduces that so results compare with the reference;
   * `false` gives bidders that are person ids.
   */
  doubleBidderOffset: boolean;
}

export const DEFAULT_NEXMARK_CONFIG: Readonly<NexmarkConfig> = Object.freeze({
  seed: 0,
  baseTime: 0,
  firstEventRate: 10_000,
  personProportion: 1,
  auctionProportion: 3,
  bidProportion: 46,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  numInFlightAuctions: 100,
  numActivePeople: 1000,
  outOfOrderGroupSize: 1,
  firstEventId: 0,
  firstEventNumber: 0,
  doubleBidderOffset: true,
});

const POSITIVE: (keyof NexmarkConfig)[] = [
  'personProportion',
  'auctionProportion',
  'bidProportion',
  'hotAuctionRatio',
  'hotSellersRatio',
  'hotBiddersRatio',
  'numInFlightAuctions',
  'numActivePeople',
  'outOfOrderGroupSize',
];
const NON_NEGATIVE: (keyof NexmarkConfig)[] = [
  'avgPersonByteSize',
  'avgAuctionByteSize',
  'avgBidByteSize',
  'firstEventId',
  'firstEventNumber',
];

/** The defaults with `overrides` applied, validated (throws a RangeError naming the bad option). */
export function nexmarkConfig(overrides: Partial<NexmarkConfig> = {}): NexmarkConfig {
  const c: NexmarkConfig = { ...DEFAULT_NEXMARK_CONFIG };
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v;
  }
  const fail = (name: string, what: string) => {
    throw new RangeError(`nexmark: ${name} must be ${what}, got ${String(c[name as keyof NexmarkConfig])}`);
  };
  if (!Number.isSafeInteger(c.seed)) fail('seed', 'a safe integer');
  if (!Number.isSafeInteger(c.baseTime)) fail('baseTime', 'an integer (epoch ms)');
  if (!(typeof c.firstEventRate === 'number' && c.firstEventRate > 0 && Number.isFinite(c.firstEventRate))) {
    fail('firstEventRate', 'a positive number');
  }
  for (const k of POSITIVE) if (!(Number.isSafeInteger(c[k]) && (c[k] as number) >= 1)) fail(k, 'a positive integer');
  for (const k of NON_NEGATIVE) if (!(Number.isSafeInteger(c[k]) && (c[k] as number) >= 0)) fail(k, 'an integer >= 0');
  if (typeof c.doubleBidderOffset !== 'boolean') fail('doubleBidderOffset', 'a boolean');
  return c;
}
